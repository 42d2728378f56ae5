import { definePlugin, type Packet } from '@midge/mqtt-core';
import * as v from 'valibot';
import { REDACTED, redactedUsername, redactProperties } from './redact.js';

/**
 * Logs every MQTT packet in and out at debug level (aMQTT's PacketLoggerPlugin), with direction and
 * client id. Secrets are redacted (see describePacket); payloads are shown as their length only. A
 * username is logged in clear only on the CONNACK that accepts it. Works in the broker and in the
 * client (both emit packet:received / packet:sent).
 */
export const packetLogger = definePlugin({
  name: '@midge/plugin-logging/packet-logger',
  apiVersion: 1,
  runsIn: 'both',
  configSchema: v.strictObject({}),
  setup(ctx) {
    const log = ctx.logger;
    return {
      events: {
        'packet:received': (e) => {
          // The guard keeps a logger at info level from paying for formatting on the hot path.
          if (!log.isLevelEnabled('debug')) return;
          log.debug(
            { direction: 'in', clientId: clientIdOf(e.client, e.packet), packet: describePacket(e.packet) },
            `<- ${e.packet.type}`,
          );
        },
        'packet:sent': (e) => {
          if (!log.isLevelEnabled('debug')) return;
          const p = e.packet;
          // Authentication accepted the username: from here on it names the client, like its client id.
          const username = p.type === 'connack' && p.reasonCode === 0 ? e.client?.username : undefined;
          log.debug(
            {
              direction: 'out',
              clientId: clientIdOf(e.client, p),
              ...(username !== undefined ? { username } : {}),
              packet: describePacket(p),
            },
            `-> ${p.type}`,
          );
        },
      },
    };
  },
});

export default packetLogger;

/** The client is not known yet while its CONNECT is being read: that packet names it itself. */
function clientIdOf(client: { clientId: string } | undefined, packet: Packet): string | undefined {
  return client?.clientId ?? (packet.type === 'connect' ? packet.clientId : undefined);
}

/**
 * A log-safe view of a packet: password, v5 Authentication Data and User Property values redacted, the
 * CONNECT username redacted (not authenticated yet: it may be a mistyped password), binary payloads and
 * Correlation Data reduced to their length.
 */
export function describePacket(packet: Packet): Record<string, unknown> {
  switch (packet.type) {
    case 'connect': {
      const { password, will, properties, username, ...rest } = packet;
      return {
        ...rest,
        ...(username !== undefined ? { username: redactedUsername(username) } : {}),
        ...(properties ? { properties: redactProperties(properties) } : {}),
        ...(password !== undefined ? { password: REDACTED } : {}),
        ...(will
          ? { will: { topic: will.topic, qos: will.qos, retain: will.retain, payloadBytes: will.payload.length } }
          : {}),
      };
    }
    case 'publish': {
      const { payload, properties, ...rest } = packet;
      return {
        ...rest,
        payloadBytes: payload.length,
        ...(properties ? { properties: redactProperties(properties) } : {}),
      };
    }
    case 'pingreq':
    case 'pingresp':
      return { ...packet };
    case 'connack':
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'subscribe':
    case 'suback':
    case 'unsubscribe':
    case 'unsuback':
    case 'disconnect':
    case 'auth': {
      // CONNACK and AUTH may carry Authentication Data (e.g. SCRAM server proofs); any v5 packet User Properties.
      const { properties, ...rest } = packet as Packet & { properties?: object };
      return properties ? { ...rest, properties: redactProperties(properties) } : { ...rest };
    }
  }
}
