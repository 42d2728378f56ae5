import type { QoS } from '../codec/packets.js';
import type { ApiOrigin, ClientInfo, Decision, Message, MessageOrigin, RetainedChange } from '../plugin-api/types.js';
import type { PersistedSubscription } from '../persistence/types.js';
import { copyMessage, messageBytes, minQos, type StoredMessage } from './message.js';
import { deliver, Fanout } from './outbound.js';
import { isPromise, type PluginHostLike } from './plugin-port.js';
import { RetainedDelivery } from './retained-delivery.js';
import { RetainedStore } from './retained-store.js';
import type { BrokerServices } from './services.js';
import type { Session, Subscriber } from './session.js';
import { SharedGroup } from './shared-group.js';
import { parseSharedFilter } from './topic.js';
import { TopicTrie } from './topic-trie.js';

interface MatchScratch {
  gen: number;
  /** Client id of the publisher, for v5 No Local. */
  origin: string | undefined;
  /** Sessions matched so far, in `sessions[0 .. count)`; slots are cleared after routing, not truncated. */
  readonly sessions: (Session | undefined)[];
  count: number;
  /** Shared subscriptions matched, in `groups[0 .. groupCount)`; each delivers to one of its members. */
  readonly groups: (SharedGroup | undefined)[];
  groupCount: number;
}

/**
 * Overlapping subscriptions of one client deliver once, at the highest granted QoS: each session is
 * collected the first time it is seen in this generation and its QoS raised on later matches. v5
 * Retain As Published and subscription identifiers combine over the matching subscriptions.
 */
function collect(sub: Subscriber, _key: string, scratch: MatchScratch): void {
  const s = sub.session;
  if (sub.noLocal && s.clientId === scratch.origin) return;
  if (s.matchGen !== scratch.gen) {
    s.matchGen = scratch.gen;
    s.matchQos = sub.qos;
    s.matchRetainAsPublished = sub.retainAsPublished;
    s.matchIds = sub.subscriptionId === undefined ? undefined : [sub.subscriptionId];
    // Indexed store rather than push/length = 0: setting an array's length is a runtime call, a
    // measurable share of per-message time (CPU profile).
    scratch.sessions[scratch.count++] = s;
    return;
  }
  if (sub.qos > s.matchQos) s.matchQos = sub.qos;
  if (sub.retainAsPublished) s.matchRetainAsPublished = true;
  if (sub.subscriptionId !== undefined) (s.matchIds ??= []).push(sub.subscriptionId);
}

function collectGroup(group: SharedGroup, _name: string, scratch: MatchScratch): void {
  scratch.groups[scratch.groupCount++] = group;
}

/** v5 subscription options; v3/v4 subscriptions use the defaults. */
export interface SubscriptionOptions {
  readonly noLocal?: boolean | undefined;
  readonly retainAsPublished?: boolean | undefined;
  readonly subscriptionId?: number | undefined;
}

/**
 * The routing end of the publish pipeline (pipeline.ts authorizes the publish first): retain → match →
 * authorize receive per subscriber → deliver or queue. It also holds the subscriptions and the retained
 * store.
 */
export class Router {
  /** Non-shared subscriptions: filter → client id → subscription. */
  readonly subscriptions = new TopicTrie<Subscriber>();
  /**
   * Shared subscriptions (`$share/{name}/{filter}`, any protocol version, as Mosquitto and most brokers
   * do): filter → share name → group. A trie of its own, matched only while it is not empty, so the
   * non-shared path pays nothing for them.
   */
  readonly shared = new TopicTrie<SharedGroup>();
  /** Topic, payload and property bytes are counted for max_retained_bytes (messageBytes). */
  readonly retained = new RetainedStore<StoredMessage>(messageBytes);
  private readonly scratch: MatchScratch = {
    gen: 0,
    origin: undefined,
    sessions: [],
    count: 0,
    groups: [],
    groupCount: 0,
  };
  private readonly fan = new Fanout();
  /** Routing is not re-entrant (the scratch and fan-out are shared): nested publishes wait here. */
  private routing = false;
  private readonly pending: [StoredMessage, ClientInfo | undefined, MessageOrigin, boolean][] = [];
  private readonly ctx: BrokerServices;
  /** Retained messages on their way to new subscriptions, in chunks (retained-delivery.ts). */
  readonly retainedDelivery: RetainedDelivery;

  constructor(ctx: BrokerServices) {
    this.ctx = ctx;

    this.retainedDelivery = new RetainedDelivery(ctx, {
      expire: (m) => this.expireRetained(m),
      offer: (session, fan, qos, ids) => {
        const host = ctx.host;
        if (host !== undefined && host.hasTopicAuthorization) this.offer(host, session, fan, qos, true, ids);
        else deliver(ctx, session, fan, qos, true, ids);
      },
    });
  }

  /**
   * Adds or replaces a subscription [MQTT-3.8.4-3]; a well-formed `$share/{name}/{filter}` joins (or
   * updates its membership of) that shared subscription. Returns true when it is new.
   */
  subscribe(session: Session, filter: string, qos: QoS, options: SubscriptionOptions = {}): boolean {
    const sub: Subscriber = {
      session,
      qos,
      noLocal: options.noLocal ?? false,
      retainAsPublished: options.retainAsPublished ?? false,
      subscriptionId: options.subscriptionId,
    };
    session.subscriptions.set(filter, sub);
    const share = parseSharedFilter(filter);
    let added: boolean;
    if (share === undefined) added = this.subscriptions.set(filter, session.clientId, sub) === undefined;
    else {
      let group = this.shared.get(share.filter, share.group);
      if (group === undefined) {
        group = new SharedGroup(share.group, share.filter);
        this.shared.set(share.filter, share.group, group);
      }
      added = group.set(sub);
    }
    if (added) {
      this.ctx.stats.subscriptionCount++;
      const events = this.ctx.events;
      if (events.wants('subscription:added')) events.emit('subscription:added', { clientId: session.clientId, filter });
    }
    if (session.persisted) {
      const stored: PersistedSubscription = {
        topic: filter,
        qos,
        noLocal: sub.noLocal,
        retainAsPublished: sub.retainAsPublished,
      };
      this.persist(
        this.ctx.persistence.setSubscription(
          session.clientId,
          sub.subscriptionId === undefined ? stored : { ...stored, subscriptionId: sub.subscriptionId },
        ),
      );
    }
    return added;
  }

  unsubscribe(session: Session, filter: string): boolean {
    session.subscriptions.delete(filter);
    const share = parseSharedFilter(filter);
    let removed: boolean;
    if (share === undefined) removed = this.subscriptions.delete(filter, session.clientId);
    else {
      const group = this.shared.get(share.filter, share.group);
      removed = group !== undefined && group.delete(session.clientId);
      if (group !== undefined && group.size === 0) this.shared.delete(share.filter, share.group);
    }
    if (removed) {
      this.ctx.stats.subscriptionCount--;
      const events = this.ctx.events;
      if (events.wants('subscription:removed'))
        events.emit('subscription:removed', { clientId: session.clientId, filter });
    }
    if (removed && session.persisted) this.persist(this.ctx.persistence.deleteSubscription(session.clientId, filter));
    return removed;
  }

  unsubscribeAll(session: Session): void {
    for (const filter of session.subscriptionFilters()) this.unsubscribe(session, filter);
  }

  /**
   * Routes one message the pipeline accepted (call `Pipeline.publishFrom`, not this). `message.payload`
   * may be a view on a socket chunk: it is copied only if kept. `client` published it (v5 No Local), if
   * a client did. Returns how many subscriptions (sessions, shared groups) matched, before receive
   * authorization; -1 when the message waits behind the one being routed (the count is not known yet).
   */
  publish(message: Message, client: ClientInfo | undefined, origin: MessageOrigin, keepRetained = true): number {
    if (this.routing) {
      const kept = copyMessage(message);
      this.ctx.stats.latency.copied(message, kept);
      this.pending.push([kept, client, origin, keepRetained]);
      return -1;
    }
    this.routing = true;
    try {
      const matched = this.route(message, client, origin, keepRetained);
      this.ctx.stats.latency.routed(message);
      this.routePending();
      return matched;
    } finally {
      if (this.pending.length !== 0) this.pending.length = 0;
      this.routing = false;
    }
  }

  /**
   * Routes the messages published while one was routed (appended meanwhile: the loop sees them too). An
   * indexed loop, not for-of: this runs per message and must not create an iterator.
   */
  private routePending(): void {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i];
      if (p === undefined) continue;
      this.route(p[0], p[1], p[2], p[3]);
      this.ctx.stats.latency.routed(p[0]);
    }
  }

  /** `keepRetained` false: a RETAIN=1 message is delivered as published but leaves the retained store alone. */
  private route(
    message: Message,
    client: ClientInfo | undefined,
    origin: MessageOrigin,
    keepRetained: boolean,
  ): number {
    const ctx = this.ctx;
    const stored = message.retain && keepRetained ? this.storeRetained(message, origin) : undefined;
    const scratch = this.scratch;
    scratch.gen++;
    scratch.origin = client?.clientId;
    scratch.count = 0;
    scratch.groupCount = 0;
    this.subscriptions.match(message.topic, collect, scratch);
    const host = ctx.host;
    // A cluster plugin that takes shared subscriptions delivers to one member cluster-wide (deliverShared).
    if (this.shared.size !== 0 && host?.takesSharedSubscriptions?.() !== true)
      this.shared.match(message.topic, collectGroup, scratch);
    const fan = this.fan.reset(message, stored);
    const authorize = host !== undefined && host.hasTopicAuthorization;
    const sessions = scratch.sessions;
    const count = scratch.count;
    const groups = scratch.groups;
    const groupCount = scratch.groupCount;
    // Only while retained deliveries run: they skip topics that got a live message meanwhile.
    const noteLive = this.retainedDelivery.active;
    // Out of the delivery loop, which stays as small as before retained deliveries were chunked.
    if (noteLive) this.retainedDelivery.noteLiveAll(sessions, count, message.topic);
    try {
      for (let i = 0; i < count; i++) {
        const s = sessions[i];
        if (s === undefined) continue;
        const qos = minQos(message.qos, s.matchQos);
        // Live deliveries carry RETAIN=0 [MQTT-3.3.1-9] unless v5 Retain As Published asks otherwise.
        const retain = s.matchRetainAsPublished && message.retain;
        if (authorize) this.offer(host, s, fan, qos, retain, s.matchIds);
        else deliver(ctx, s, fan, qos, retain, s.matchIds);
        s.matchIds = undefined;
      }
      // One member per shared subscription, on top of the client's non-shared ones: a client with both
      // can get two copies, as MQTT 5.0 section 4.8.2 describes.
      for (let i = 0; i < groupCount; i++) {
        const member = groups[i]?.pick();
        if (member !== undefined) this.deliverToMember(member, message, fan, authorize ? host : undefined, noteLive);
      }
    } finally {
      // Cleared so that no session stays reachable from the scratch after it is gone.
      for (let i = 0; i < count; i++) sessions[i] = undefined;
      for (let i = 0; i < groupCount; i++) groups[i] = undefined;
      scratch.count = 0;
      scratch.groupCount = 0;
    }
    if (ctx.events.wants('message:broadcast')) ctx.events.emit('message:broadcast', { client, message, origin });
    return count + groupCount;
  }

  private deliverToMember(
    member: Subscriber,
    message: Message,
    fan: Fanout,
    authorizer: PluginHostLike | undefined,
    noteLive: boolean,
  ): void {
    if (noteLive) this.retainedDelivery.noteLive(member.session, message.topic);
    const qos = minQos(message.qos, member.qos);
    const retain = member.retainAsPublished && message.retain;
    const ids = member.subscriptionId === undefined ? undefined : [member.subscriptionId];
    if (authorizer !== undefined) this.offer(authorizer, member.session, fan, qos, retain, ids);
    else deliver(this.ctx, member.session, fan, qos, retain, ids);
  }

  /**
   * For a cluster plugin that takes shared subscriptions: delivers `message` (a valid topic, not `$`) to
   * one member of this broker's `$share/{group}/{filter}`, picked as route() picks, receive-authorized.
   * False when this broker holds no member of it. Not retained, no events: the message was routed (and
   * retained) on the broker it was published on.
   */
  deliverShared(group: string, filter: string, message: Message): boolean {
    const member = this.shared.get(filter, group)?.pick();
    if (member === undefined) return false;
    if (this.routing) {
      // Called from an event handler of the message being routed: after it, with the fan-out free again.
      const kept = copyMessage(message);
      queueMicrotask(() => this.deliverShared(group, filter, kept));
      return true;
    }
    this.routing = true;
    try {
      const host = this.ctx.host;
      const fan = this.fan.reset(message);
      this.deliverToMember(
        member,
        message,
        fan,
        host !== undefined && host.hasTopicAuthorization ? host : undefined,
        this.retainedDelivery.active,
      );
      this.routePending();
    } finally {
      if (this.pending.length !== 0) this.pending.length = 0;
      this.routing = false;
    }
    return true;
  }

  /**
   * Retained messages matching `filter`, sent with RETAIN=1 on SUBSCRIBE [MQTT-3.3.1-8] to the session's
   * subscription of `filter`: in chunks from the next turn of the event loop on, so after the SUBACK
   * written now, and only as long as the client takes them (RetainedDelivery).
   */
  deliverRetained(session: Session, filter: string, granted: QoS, subscriptionId?: number): void {
    this.retainedDelivery.start(session, filter, this.retained.cursor(filter), granted, subscriptionId);
  }

  /** An expired retained message is gone for everyone. */
  private expireRetained(m: StoredMessage): void {
    if (this.retained.get(m.topic) !== m) return;
    this.removeRetained(m.topic);
    this.ctx.stats.drop('expired');
  }

  getRetained(topic: string): StoredMessage | undefined {
    return this.retained.get(topic);
  }

  /** The retained messages matching `filter` (a valid filter), as an array: a snapshot. */
  retainedMessages(filter: string): StoredMessage[] {
    const out: StoredMessage[] = [];
    this.retained.match(filter, (m, _topic, list) => void list.push(m), out);
    return out;
  }

  /**
   * For a plugin keeping a retained store with other brokers (`BrokerApi.setRetained`, topic validated
   * by the caller): stores or clears the retained message of a topic as a retained PUBLISH would, with
   * its caps, persistence and events, but delivers nothing.
   */
  setRetained(change: RetainedChange, origin: ApiOrigin): void {
    if ('clear' in change) this.clearRetained(change.topic, origin);
    else this.storeRetained(change.retain ? change : { ...change, retain: true }, origin);
  }

  /** Stores (payload copied) or clears [MQTT-3.3.1-10/11] the retained message of a topic. */
  /**
   * max_retained_messages / max_retained_bytes: a message that would add a retained topic past the count,
   * or bytes past the byte cap, is routed but not retained (the publisher's acknowledgement is unchanged:
   * the message was accepted and delivered). Replacing a retained message with one no bigger is always
   * allowed, so a full store can still be updated; clearing always is. A bigger replacement that does
   * not fit clears the topic's older message (storeRetained).
   */
  private overRetainedCap(message: Message): boolean {
    const config = this.ctx.config;
    const maxCount = config.max_retained_messages;
    const maxBytes = config.max_retained_bytes;
    if (maxCount <= 0 && maxBytes <= 0) return false;
    const store = this.retained;
    const old = store.get(message.topic);
    const size = messageBytes(message);
    const oldSize = old === undefined ? 0 : messageBytes(old);
    let cause: string | undefined;
    if (old === undefined && maxCount > 0 && store.size >= maxCount) cause = 'max_retained_messages';
    else if (maxBytes > 0 && (old === undefined || size > oldSize) && store.bytes - oldSize + size > maxBytes)
      cause = 'max_retained_bytes';
    if (cause === undefined) return false;
    this.ctx.stats.drop('retained-full');
    const what =
      old === undefined
        ? 'it was still delivered'
        : "it was still delivered; the topic's older retained message is cleared";
    this.ctx.limits.hit(cause, `retained message not stored (${cause}); ${what}`, {
      topic: message.topic,
      retained: store.size,
      retainedBytes: store.bytes,
    });
    return true;
  }

  private storeRetained(message: Message, origin: MessageOrigin): StoredMessage | undefined {
    const ctx = this.ctx;
    if (message.payload.length === 0) {
      this.clearRetained(message.topic, origin);
      return undefined;
    }
    if (this.overRetainedCap(message)) {
      // A replacement too big to keep: the older message is no longer the topic's last value, and new
      // subscribers must not get it as if it were. Clearing frees its place and bytes.
      this.clearRetained(message.topic, origin);
      return undefined;
    }
    const stored = copyMessage(message);
    this.retained.set(message.topic, stored);
    ctx.stats.retainedCount = this.retained.size;
    this.persist(ctx.persistence.setRetained(stored));
    if (ctx.events.wants('retained:set')) ctx.events.emit('retained:set', { message: stored, origin });
    return stored;
  }

  /** Clears the retained message of `topic`, if any [MQTT-3.3.1-10/11]. */
  private clearRetained(topic: string, origin: MessageOrigin): void {
    if (!this.removeRetained(topic)) return;
    const events = this.ctx.events;
    if (events.wants('retained:cleared')) events.emit('retained:cleared', { topic, origin });
  }

  /** Takes the retained message of `topic` out of the store, the count and persistence; false if there was none. */
  private removeRetained(topic: string): boolean {
    if (!this.retained.delete(topic)) return false;
    this.ctx.stats.retainedCount = this.retained.size;
    this.persist(this.ctx.persistence.deleteRetained(topic));
    return true;
  }

  /**
   * Retained messages and subscriptions are written through; a failed write is logged, and fails the
   * acknowledgement of the QoS 1/2 message being routed, if any (journal.ts).
   */
  private persist(write: Promise<void>): void {
    this.ctx.journal.write(write);
  }

  /**
   * Receive authorization, then delivery. A sync decision stays on the fast path unless an earlier async
   * one for the session still waits: then it waits behind it, in the session's chain, so that a plugin
   * answering async on a cache miss and sync on a hit cannot reorder one topic [MQTT-4.6.0-5].
   */
  private offer(
    host: PluginHostLike,
    session: Session,
    fan: Fanout,
    qos: QoS,
    retain: boolean,
    ids: number[] | undefined,
  ): void {
    const decision = host.authorizeTopic({ client: session.client, action: 'receive', topic: fan.message.topic, qos });
    if (!isPromise(decision) && session.receiveChain === undefined) {
      if (decision.verdict === 'allow') deliver(this.ctx, session, fan, qos, retain, ids);
      else this.ctx.stats.drop('denied');
      return;
    }
    // Delivered later: the message (maybe a view on a socket chunk) is copied first.
    const stored = fan.storedMessage();
    // Chained per session so decisions cannot reorder one subscriber's messages.
    const previous = session.receiveChain ?? Promise.resolve();
    let written: Promise<void> | undefined;
    const chain = previous
      .then(() => decision)
      .then(
        (d: Decision) => {
          // The session may have ended while the plugin was deciding.
          if (session.ended) return;
          if (d.verdict !== 'allow') {
            this.ctx.stats.drop('denied');
            return;
          }
          // The store writes of this late delivery (a persistent session's queue or inflight entry) are
          // what the publisher's acknowledgement waits for (collected below), not the next delivery.
          const journal = this.ctx.journal;
          journal.begin();
          deliver(this.ctx, session, new Fanout().reset(stored, stored), qos, retain, ids);
          written = journal.end();
        },
        (err: unknown) => {
          this.ctx.log.warn({ err, clientId: session.clientId }, 'receive authorization failed; message dropped');
          this.ctx.stats.drop('denied');
        },
      );
    session.receiveChain = chain;
    // A QoS 1/2 message for a persistent session: its acknowledgement waits for this delivery's writes.
    if (qos > 0 && session.persisted) this.ctx.journal.collect(chain.then(() => written));
    chain
      .then(() => {
        if (session.receiveChain === chain) session.receiveChain = undefined;
      })
      .catch((err: unknown) =>
        this.ctx.log.error({ err, clientId: session.clientId }, 'delivery after receive authorization failed'),
      );
  }
}
