import {
  definePlugin,
  type BrokerEventName,
  type BrokerEvents,
  type EventHandlers,
  type Logger,
} from '@midge/mqtt-core';
import * as v from 'valibot';

/**
 * Logs broker events, as aMQTT's EventLoggerPlugin: client connected/disconnected at info, every other
 * event at debug. Payloads are summarised (client id, topic, qos) — never passwords or message bodies.
 */
export const eventLogger = definePlugin({
  name: '@midge/plugin-logging/event-logger',
  apiVersion: 1,
  configSchema: v.strictObject({}),
  setup(ctx) {
    const log = ctx.logger;
    const debug = (event: BrokerEventName) => (payload: object) => {
      if (log.isLevelEnabled('debug')) log.debug({ event, ...summarise(payload) }, event);
    };
    const events: EventHandlers = {
      'broker:pre-start': debug('broker:pre-start'),
      'broker:post-start': debug('broker:post-start'),
      'broker:pre-shutdown': debug('broker:pre-shutdown'),
      'broker:post-shutdown': debug('broker:post-shutdown'),
      'client:connected': (e) => {
        log.info(
          { event: 'client:connected', ...clientFields(e.client), clean: e.clean, sessionPresent: e.sessionPresent },
          `client ${e.client.clientId} connected`,
        );
      },
      'client:disconnected': (e) => {
        log.info(
          { event: 'client:disconnected', ...clientFields(e.client), graceful: e.graceful, reason: e.reason },
          `client ${e.client.clientId} disconnected`,
        );
      },
      'client:subscribed': debug('client:subscribed'),
      'client:unsubscribed': debug('client:unsubscribed'),
      'message:received': debug('message:received'),
      'message:broadcast': debug('message:broadcast'),
      'retained:set': debug('retained:set'),
      'retained:cleared': debug('retained:cleared'),
    };
    return { events };
  },
});

export default eventLogger;

function clientFields(client: BrokerEvents['client:connected']['client']) {
  return {
    clientId: client.clientId,
    username: client.username,
    listener: client.listener,
    remote: `${client.remoteAddress}:${client.remotePort}`,
    protocolVersion: client.protocolVersion,
  };
}

/** Turns an event payload into flat log fields without copying message payloads into the log. */
export function summarise(payload: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'client' && value && typeof value === 'object') {
      Object.assign(out, clientFields(value as BrokerEvents['client:connected']['client']));
    } else if (key === 'message' && value && typeof value === 'object') {
      const m = value as BrokerEvents['message:received']['message'];
      out.topic = m.topic;
      out.qos = m.qos;
      out.retain = m.retain;
      out.payloadBytes = m.payload.length;
    } else {
      out[key] = value;
    }
  }
  return out;
}

export type { Logger };
