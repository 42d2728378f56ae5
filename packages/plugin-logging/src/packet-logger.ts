import { definePlugin, type Packet } from '@midge/mqtt-core';
import * as v from 'valibot';

/**
 * Logs every MQTT packet in and out at debug level (aMQTT's PacketLoggerPlugin), with direction and
 * client id. Passwords are redacted; payloads are shown as their length only. Works in the broker
 * and in the client (both emit packet:received / packet:sent).
 */
export const packetLogger = definePlugin({
  name: '@midge/plugin-logging/packet-logger',
  apiVersion: 1,
  configSchema: v.strictObject({}),
  setup(ctx) {
    const log = ctx.logger;
    return {
      events: {
        'packet:received': (e) => {
          // The guard keeps a logger at info level from paying for formatting on the hot path.
          if (!log.isLevelEnabled('debug')) return;
          log.debug({ direction: 'in', clientId: clientIdOf(e.client, e.packet), packet: describePacket(e.packet) }, `<- ${e.packet.type}`);
        },
        'packet:sent': (e) => {
          if (!log.isLevelEnabled('debug')) return;
          log.debug({ direction: 'out', clientId: clientIdOf(e.client, e.packet), packet: describePacket(e.packet) }, `-> ${e.packet.type}`);
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

/** A log-safe view of a packet: password redacted, binary payloads reduced to their length. */
export function describePacket(packet: Packet): Record<string, unknown> {
  switch (packet.type) {
    case 'connect': {
      const { password, will, properties, ...rest } = packet;
      return {
        ...rest,
        ...(properties ? { properties: redactAuthData(properties) } : {}),
        ...(password !== undefined ? { password: '<redacted>' } : {}),
        ...(will ? { will: { topic: will.topic, qos: will.qos, retain: will.retain, payloadBytes: will.payload.length } } : {}),
      };
    }
    case 'publish': {
      const { payload, ...rest } = packet;
      return { ...rest, payloadBytes: payload.length };
    }
    case 'connack':
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'subscribe':
    case 'suback':
    case 'unsubscribe':
    case 'unsuback':
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { ...packet };
    case 'auth': {
      // Authentication data may be a credential (e.g. SCRAM proofs): never log it.
      const { properties, ...rest } = packet;
      return properties ? { ...rest, properties: redactAuthData(properties) } : { ...rest };
    }
  }
}

function redactAuthData(properties: { authenticationData?: Buffer }): Record<string, unknown> {
  const { authenticationData, ...rest } = properties;
  return authenticationData ? { ...rest, authenticationData: '<redacted>' } : rest;
}
