import type { AllowDecision, ClientInfo, Decision, DenyDecision, Message, MessageOrigin } from '../plugin-api/types.js';
import { copyMessage } from './message.js';
import type { PeerState } from './peer-link.js';
import { isPromise } from './plugin-port.js';
import type { Router } from './router.js';
import type { BrokerServices } from './services.js';
import { isBrokerOnlyTopic } from './topic.js';

/** Whose rights a message is published with: a client's, or nobody's (`TRUSTED`: nothing is authorized). */
export const TRUSTED: unique symbol = Symbol('trusted publish');
export type Publisher = ClientInfo | typeof TRUSTED;

/** Why `publishFrom` did not route a message: a plugin's decision (anything but allow) or one of the refusals below. */
export type Refusal = Exclude<Decision, AllowDecision>;

/**
 * A QoS 1/2 message routed to persistent sessions (or retained): `stored` settles once the store has what
 * routing wrote (queued deliveries, inflight entries, the retained value); it rejects if a write failed.
 */
export interface StoredOutcome {
  readonly matched: number;
  readonly stored: Promise<void>;
}

/**
 * What `publishFrom` did: routed, with the number of subscriptions that matched (-1 when not known yet:
 * the message waits behind the one being routed), routed with writes to wait for (StoredOutcome), or
 * refused, with why.
 */
export type PublishOutcome = number | StoredOutcome | Refusal;

/** Whether an outcome is a refusal (a plugin's decision or a rule), not a routed message. */
export function isRefusal(outcome: PublishOutcome): outcome is Refusal {
  return typeof outcome !== 'number' && 'verdict' in outcome;
}

/** `$SYS` and `$share` topics are the broker's (topic.ts, isBrokerOnlyTopic). */
export const BROKER_ONLY_TOPIC: DenyDecision = Object.freeze({
  verdict: 'deny',
  reason: '$SYS and $share topics are reserved to the broker',
});
/** A plugin's decision failed (threw, rejected): fail closed. */
const DENY_ON_ERROR: DenyDecision = Object.freeze({ verdict: 'deny', reason: 'authorization failed' });
/**
 * The connection a client's message came on closed while a plugin decided: the message is not routed.
 * Unacknowledged, a QoS 1/2 message is the client's to resend, so routing it too could deliver it twice.
 */
export const SENDER_CLOSED: DenyDecision = Object.freeze({
  verdict: 'deny',
  reason: 'the connection closed while the publish was being authorized',
});

/** The connection a message came on, as far as the pipeline cares: whether it is still open. */
export interface Sender {
  readonly state: PeerState;
}

/**
 * The one way a message enters routing, whatever it comes from: a client's PUBLISH, a will, the embedding
 * API, a cluster or bridge plugin (`MessageOrigin`). Each goes through the same steps: the `$`-topic rule →
 * publish authorization (with the publisher's rights, unless trusted) → `message:received` → the router
 * (retain → match → receive authorization → deliver or queue).
 *
 * Topic names are validated by each entrance before (a client's bad topic closes its connection, the API's
 * rejects), and the answer to the publisher (PUBACK, a rejected promise) is each entrance's own.
 */
export class Pipeline {
  private readonly services: BrokerServices;
  private readonly router: Pick<Router, 'publish'>;

  constructor(services: BrokerServices, router: Pick<Router, 'publish'>) {
    this.services = services;
    this.router = router;
  }

  /**
   * Publishes `message` from `origin` with the rights of `publisher`. Synchronous unless a plugin decides
   * asynchronously; then the message is copied (its payload may be a view on socket memory) and routed
   * once allowed, unless `sender`, the connection it came on, closed meanwhile (SENDER_CLOSED).
   */
  publishFrom(
    origin: MessageOrigin,
    publisher: Publisher,
    message: Message,
    sender?: Sender,
    keepRetained = true,
  ): PublishOutcome | Promise<PublishOutcome> {
    const services = this.services;
    services.stats.latency.entered(message);
    // Only the broker's own trusted messages ($SYS statistics) may use its topics; a cluster's or bridge's
    // message describes another system.
    if (isBrokerOnlyTopic(message.topic) && (publisher !== TRUSTED || origin !== 'api')) {
      services.stats.drop('sys-topic');
      if (services.debug)
        services.log.debug(
          { clientId: clientIdOf(publisher), origin, topic: message.topic },
          'dropped PUBLISH to a $ topic',
        );
      return BROKER_ONLY_TOPIC;
    }
    // Only a trusted publish may route a retain-flagged message past the retained store (keepRetained).
    if (publisher === TRUSTED) return this.accept(origin, undefined, message, keepRetained);
    const host = services.host;
    if (host === undefined || !host.hasTopicAuthorization) return this.accept(origin, publisher, message);
    const decision = host.authorizeTopic({
      client: publisher,
      action: 'publish',
      topic: message.topic,
      qos: message.qos,
    });
    if (!isPromise(decision)) return this.decided(origin, publisher, message, decision);
    const kept = copyMessage(message);
    services.stats.latency.copied(message, kept);
    return decision.then(
      (d) =>
        sender !== undefined && sender.state === 'closed' ? SENDER_CLOSED : this.decided(origin, publisher, kept, d),
      (err: unknown) => {
        services.log.warn({ err, clientId: publisher.clientId, origin }, 'publish authorization failed');
        return sender !== undefined && sender.state === 'closed'
          ? SENDER_CLOSED
          : this.decided(origin, publisher, kept, DENY_ON_ERROR);
      },
    );
  }

  private decided(origin: MessageOrigin, publisher: ClientInfo, message: Message, d: Decision): PublishOutcome {
    if (d.verdict === 'allow') return this.accept(origin, publisher, message);
    const services = this.services;
    services.stats.drop('denied');
    if (services.debug)
      services.log.debug({ clientId: publisher.clientId, origin, topic: message.topic }, 'publish denied');
    return d;
  }

  /**
   * Routes an accepted message. A QoS 1/2 message's writes to the store (persistent sessions' queues and
   * inflight windows, the retained value) are collected: its acknowledgement waits for them. QoS 0 never waits.
   */
  private accept(
    origin: MessageOrigin,
    client: ClientInfo | undefined,
    message: Message,
    keepRetained = true,
  ): number | StoredOutcome {
    const events = this.services.events;
    if (events.wants('message:received')) events.emit('message:received', { client, message, origin });
    if (message.qos === 0) return this.router.publish(message, client, origin, keepRetained);
    const journal = this.services.journal;
    journal.begin();
    let matched: number;
    try {
      matched = this.router.publish(message, client, origin, keepRetained);
    } catch (err) {
      journal.end()?.catch(() => undefined); // logged by the journal; the error below is what matters
      throw err;
    }
    const written = journal.end();
    // A cluster plugin's own store (messages for sessions that may resume on another broker): the
    // acknowledgement waits for it as for the broker's store. A cluster's messages were stored by their broker.
    const kept = origin.startsWith('cluster:')
      ? undefined
      : this.services.host?.storeMessage?.({ message, origin, client });
    const stored =
      kept === undefined ? written : written === undefined ? kept : Promise.all([written, kept]).then(noop);
    return stored === undefined ? matched : { matched, stored };
  }
}

function noop(): void {}

function clientIdOf(publisher: Publisher): string | undefined {
  return publisher === TRUSTED ? undefined : publisher.clientId;
}
