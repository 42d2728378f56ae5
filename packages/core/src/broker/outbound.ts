import { encodePacket, encodePublishOnce, withPacketId } from '../codec/index.js';
import type { ProtocolVersion, PublishPacket, QoS } from '../codec/packets.js';
import type { Message } from '../plugin-api/types.js';
import { copyMessage, outboundProperties, type Delivery, type StoredMessage } from './message.js';
import type { PeerLink } from './peer-link.js';
import type { BrokerServices } from './services.js';
import { loadSpilled } from './queue-loader.js';
import { deliveryBytes, type QueueDrop, type Session } from './session.js';

type Encoded = ReturnType<typeof encodePublishOnce>;

/** What a Fanout holds between messages (it is reused, `reset` per message), so `message` is never unset. */
const NO_MESSAGE: Message = Object.freeze({ topic: '', payload: Buffer.alloc(0), qos: 0, retain: false });

/**
 * One message on its way to many sessions. It encodes the PUBLISH once per (QoS, RETAIN, protocol
 * family) variant and copies the payload only when some receiver has to keep it (queue, inflight).
 * Receivers that need their own bytes (v5 subscription identifiers) are encoded separately.
 */
export class Fanout {
  message: Message = NO_MESSAGE;

  private stored: StoredMessage | undefined;
  /** Index: qos + 3 * retain + 6 * (MQTT 5, a different PUBLISH layout). */
  private readonly encoded: (Encoded | undefined)[] = new Array<Encoded | undefined>(12).fill(undefined);
  /** Bit i set: `encoded[i]` holds bytes. Reset clears only those (usually one), not all twelve. */
  private used = 0;

  reset(message: Message, stored?: StoredMessage): this {
    this.message = message;
    this.stored = stored;
    let used = this.used;
    if (used !== 0) {
      const encoded = this.encoded;
      for (let i = 0; used !== 0; i++, used >>>= 1) if ((used & 1) !== 0) encoded[i] = undefined;
      this.used = 0;
    }
    return this;
  }

  storedMessage(): StoredMessage {
    return (this.stored ??= copyMessage(this.message));
  }

  encodedFor(qos: QoS, retain: boolean, version: ProtocolVersion): Encoded {
    const idx = qos + (retain ? 3 : 0) + (version === 5 ? 6 : 0);
    let enc = this.encoded[idx];
    if (enc === undefined) {
      const m = this.message;
      const packet: PublishPacket = {
        type: 'publish',
        topic: m.topic,
        payload: m.payload,
        qos,
        retain,
        dup: false,
        // A placeholder id: each receiver gets its own stamped into a copy.
        packetId: qos === 0 ? undefined : 1,
      };
      if (version === 5 && m.properties !== undefined) {
        // A kept message (a retained one) says the time left of its expiry [MQTT-3.3.2-6]; null: it just
        // expired, sent as it is (who delivers it checked the deadline a moment ago).
        const props =
          (m as StoredMessage).expiresAt === undefined ? m.properties : outboundProperties(m, undefined, Date.now());
        packet.properties = props ?? m.properties;
      }
      enc = encodePublishOnce(packet, version);
      this.encoded[idx] = enc;
      this.used |= 1 << idx;
    }
    return enc;
  }
}

function queueDelivery(
  ctx: BrokerServices,
  session: Session,
  message: StoredMessage,
  qos: QoS,
  retain: boolean,
  ids: readonly number[] | undefined,
): void {
  const config = ctx.config;
  // A persistent session's queue is written through, each delivery under its own key.
  const d = delivery(message, qos, retain, ids, session.persisted ? session.nextSeq++ : undefined);
  // Which bound, if any, this delivery passes: the one named when the queue gives a message up.
  const bound = session.queueBoundPassed(deliveryBytes(d), config.max_queued_messages, config.max_queued_bytes);
  // Offline, a persistent session's queued messages live in the store only (no heap per queued message).
  const dropped = session.enqueue(
    d,
    config.max_queued_messages,
    config.max_queued_bytes,
    d.seq !== undefined && session.connection === undefined,
  );
  if (d.seq !== undefined) storeQueueChange(ctx, session, d, dropped);
  const stats = ctx.stats;
  stats.messagesStored += 1 - dropped.length;
  if (dropped.length === 0) return;
  stats.drop('queue-full', dropped.length);
  if (bound === undefined) return;
  ctx.limits.hit(bound, `session queue full (${bound}): oldest message of the lowest QoS dropped`, {
    clientId: session.clientId,
    queued: session.queueLength,
    queuedBytes: session.queuedBytes,
  });
}

/** Writes what `enqueue` did to a persistent session's stored queue: the drops, then the new delivery. */
function storeQueueChange(ctx: BrokerServices, session: Session, d: Delivery, dropped: readonly QueueDrop[]): void {
  const journal = ctx.journal;
  const store = journal.store;
  let queued = true;
  for (const gone of dropped) {
    if (gone === d) queued = false;
    else {
      const seq = typeof gone === 'number' ? gone : gone.seq;
      if (seq !== undefined) journal.write(store.deleteQueued(session.clientId, seq));
    }
  }
  if (queued && d.seq !== undefined) journal.write(store.pushQueued(session.clientId, { seq: d.seq, delivery: d }));
}

/** A queued delivery of a persistent session left the queue without being sent (dropped, expired). */
function forgetQueued(ctx: BrokerServices, session: Session, d: Delivery): void {
  if (d.seq !== undefined && session.persisted)
    ctx.journal.write(ctx.journal.store.deleteQueued(session.clientId, d.seq));
}

/**
 * A QoS 1/2 delivery went out: its inflight entry is stored, and the queue entry it came from (if any)
 * removed in the same turn (one transaction in the LMDB store; `seq` lets a restart drop a leftover).
 */
function storeInflight(
  ctx: BrokerServices,
  session: Session,
  packetId: number,
  d: Delivery,
): Promise<void> | undefined {
  if (!session.persisted) return undefined;
  const journal = ctx.journal;
  const store = journal.store;
  const stored = store.setInflight(
    session.clientId,
    d.seq === undefined
      ? { packetId, delivery: d, state: 'publish' }
      : { packetId, delivery: d, state: 'publish', seq: d.seq },
  );
  journal.write(stored);
  if (d.seq !== undefined) journal.write(store.deleteQueued(session.clientId, d.seq));
  return stored;
}

/**
 * Writes a QoS 1/2 PUBLISH now, or, for a QoS 2 delivery to a persistent session, once its inflight entry is
 * stored: a client that saw the packet id must never find the broker without it after a crash, or the broker
 * could send that message again under a new id, or another message under this id, which the client would
 * take for a resend and drop (exactly once, [MQTT-4.3.3]). QoS 2 sends keep their order: stores confirm in
 * order. Not stored, or the connection gone meanwhile: the entry stays inflight and is resent on reconnect.
 */
function writeInflight(
  session: Session,
  conn: PeerLink,
  stored: Promise<void> | undefined,
  packetId: number,
  bytes: Buffer,
  d: Delivery,
): void {
  if (stored === undefined || d.qos !== 2) {
    conn.writePublish(bytes, d.message, d.qos, d.retain, packetId, false);
    return;
  }
  // Behind the session's earlier QoS 2 sends that still wait: a store need not confirm in issue order.
  const previous = session.storedSendTail;
  const ready = previous === undefined ? stored : previous.then(() => stored);
  const tail = ready.then(
    () => {
      if (session.connection === conn && session.inflightOut.get(packetId)?.delivery === d)
        conn.writePublish(bytes, d.message, d.qos, d.retain, packetId, false);
    },
    () => undefined, // logged by the journal; resent from memory on reconnect
  );
  session.storedSendTail = tail;
  void tail.then(() => {
    if (session.storedSendTail === tail) session.storedSendTail = undefined;
  });
}

/** v5 Maximum Packet Size of the client: a PUBLISH it cannot take is discarded [MQTT-3.1.2-25]. */
function tooLarge(ctx: BrokerServices, conn: PeerLink, bytes: Buffer): boolean {
  const max = conn.maxOutgoingPacket;
  if (max === 0 || bytes.length <= max) return false;
  ctx.stats.drop('too-large');
  return true;
}

/**
 * Delivers (or queues) one message to one session at `qos`, with the RETAIN flag `retain` and, for
 * v5, the identifiers of the matching subscriptions.
 */
export function deliver(
  ctx: BrokerServices,
  session: Session,
  fan: Fanout,
  qos: QoS,
  retain: boolean,
  subscriptionIds?: readonly number[],
): void {
  const conn = session.connection;
  const ids = subscriptionIds !== undefined && subscriptionIds.length > 0 ? subscriptionIds : undefined;
  // Offline, or a resume still being re-authorized: queued, to be sent in order afterwards.
  if (conn === undefined || session.resuming !== undefined) {
    queueDelivery(ctx, session, fan.storedMessage(), qos, retain, ids);
    return;
  }
  // Per-receiver bytes: v5 subscription identifiers, or topic aliases (one field test while they are off).
  const own = conn.outgoingAliases !== undefined || (ids !== undefined && conn.protocolVersion === 5);
  if (qos === 0) {
    if (conn.overOutgoingLimit()) {
      ctx.stats.drop('slow-reader');
      return;
    }
    if (own) {
      // Sent at once, so the live message (maybe a view) needs no copy.
      sendDelivery(ctx, session, conn, delivery(fan.message, 0, retain, ids));
      return;
    }
    const bytes = fan.encodedFor(0, retain, conn.protocolVersion).bytes;
    if (!tooLarge(ctx, conn, bytes)) conn.writePublish(bytes, fan.message, 0, retain, undefined, false);
    return;
  }
  // Excess over the inflight window waits in the queue; order is kept by queueing behind older ones.
  if (session.queueLength > 0 || session.inflightCount >= session.window) {
    queueDelivery(ctx, session, fan.storedMessage(), qos, retain, ids);
    return;
  }
  const d = delivery(fan.storedMessage(), qos, retain, ids);
  if (own) {
    sendDelivery(ctx, session, conn, d);
    return;
  }
  const enc = fan.encodedFor(qos, retain, conn.protocolVersion);
  if (tooLarge(ctx, conn, enc.bytes)) return;
  const packetId = session.allocatePacketId();
  session.inflightOut.set(packetId, { packetId, delivery: d, state: 'publish' });
  ctx.stats.inflightOut++;
  writeInflight(session, conn, storeInflight(ctx, session, packetId, d), packetId, withPacketId(enc, packetId), d);
}

function delivery(
  message: StoredMessage,
  qos: QoS,
  retain: boolean,
  ids: readonly number[] | undefined,
  seq?: number,
): Delivery {
  if (seq === undefined)
    return ids === undefined ? { message, qos, retain } : { message, qos, retain, subscriptionIds: ids };
  return ids === undefined ? { message, qos, retain, seq } : { message, qos, retain, subscriptionIds: ids, seq };
}

/** The PUBLISH packet of a delivery, or undefined when its v5 message expiry has passed. */
function publishPacket(
  conn: PeerLink,
  d: Delivery,
  packetId: number | undefined,
  dup: boolean,
): PublishPacket | undefined {
  const m = d.message;
  const p: PublishPacket = {
    type: 'publish',
    topic: m.topic,
    payload: m.payload,
    qos: d.qos,
    retain: d.retain,
    dup,
    packetId,
  };
  if (conn.protocolVersion === 5) {
    const props = outboundProperties(m, d.subscriptionIds, Date.now());
    if (props === null) return undefined;
    if (props !== undefined) p.properties = props;
  } else if (m.expiresAt !== undefined && m.expiresAt <= Date.now()) {
    return undefined; // expiry applies whoever receives it
  }
  return p;
}

/**
 * Encodes a PUBLISH for this receiver only, with a topic alias when the connection uses them; undefined
 * when it is over the client's Maximum Packet Size (the alias is then not taken).
 */
function encodeOwn(ctx: BrokerServices, conn: PeerLink, packet: PublishPacket): Buffer | undefined {
  const aliases = conn.outgoingAliases;
  const topic = aliases?.apply(packet);
  const bytes = encodePacket(packet, conn.protocolVersion);
  if (!tooLarge(ctx, conn, bytes)) return bytes;
  if (aliases !== undefined && topic !== undefined) aliases.forget(topic);
  return undefined;
}

/** Encodes and sends one delivery on its own (queued, resent, or with per-receiver properties). */
function sendDelivery(ctx: BrokerServices, session: Session, conn: PeerLink, d: Delivery): void {
  if (d.qos === 0) {
    // Sent or not, a QoS 0 delivery leaves the stored queue now (at most once).
    forgetQueued(ctx, session, d);
    const packet = publishPacket(conn, d, undefined, false);
    if (packet === undefined) {
      ctx.stats.drop('expired');
      return;
    }
    const bytes = encodeOwn(ctx, conn, packet);
    if (bytes !== undefined) conn.writePublish(bytes, d.message, 0, d.retain, undefined, false);
    return;
  }
  const packetId = session.allocatePacketId();
  const packet = publishPacket(conn, d, packetId, false);
  if (packet === undefined) {
    ctx.stats.drop('expired');
    forgetQueued(ctx, session, d);
    return;
  }
  const bytes = encodeOwn(ctx, conn, packet);
  if (bytes === undefined) {
    forgetQueued(ctx, session, d);
    return;
  }
  session.inflightOut.set(packetId, { packetId, delivery: d, state: 'publish' });
  ctx.stats.inflightOut++;
  writeInflight(session, conn, storeInflight(ctx, session, packetId, d), packetId, bytes, d);
}

/**
 * Sends queued deliveries while the inflight window has room. Deliveries whose messages live only in the
 * store are read back a page at a time, before the in-memory ones run out, and sent once they are in.
 */
export function drainQueue(ctx: BrokerServices, session: Session): void {
  const conn = session.connection;
  if (conn === undefined || session.resuming !== undefined) return;
  if (session.queueLength === 0) return;
  // Each message sent from a persistent session's queue costs store writes: while the store lags, the queue
  // waits (it is safe where it is) rather than pile up writes without bound.
  if (session.persisted && ctx.journal.congested) {
    holdDrain(ctx, session);
    return;
  }
  const queue = session.queue;
  while (queue.length > 0) {
    const d = queue[0];
    if (d === undefined || (d.qos > 0 && session.inflightCount >= session.window)) break;
    session.dequeue();
    ctx.stats.messagesStored--;
    if (d.qos === 0 && conn.overOutgoingLimit()) {
      ctx.stats.drop('slow-reader');
      forgetQueued(ctx, session, d);
    } else sendDelivery(ctx, session, conn, d);
  }
  if (session.spilledCount > 0 && queue.length < session.window && session.loading === undefined)
    loadSpilled(ctx, session, conn, drainQueue);
}

function holdDrain(ctx: BrokerServices, session: Session): void {
  if (session.drainHeld) return;
  session.drainHeld = true;
  ctx.journal.whenRelieved(() => {
    session.drainHeld = false;
    if (!session.ended) drainQueue(ctx, session);
  });
}

/**
 * Resends every unacknowledged PUBLISH with DUP=1 and every PUBREL, in their original order
 * [MQTT-4.4.0-1], then sends what queued up while the client was away.
 */
export function resendSession(ctx: BrokerServices, session: Session): void {
  const conn = session.connection;
  if (conn === undefined) return;
  for (const entry of session.inflightOut.values()) {
    if (entry.state === 'pubrel') {
      conn.send({ type: 'pubrel', packetId: entry.packetId });
      continue;
    }
    const d = entry.delivery;
    // Once sent, a message is delivered even if its expiry passed meanwhile: the exchange must finish.
    const packet = publishPacket(conn, d, entry.packetId, true) ?? {
      type: 'publish',
      topic: d.message.topic,
      payload: d.message.payload,
      qos: d.qos,
      retain: d.retain,
      dup: true,
      packetId: entry.packetId,
    };
    conn.outgoingAliases?.apply(packet);
    conn.writePublish(encodePacket(packet, conn.protocolVersion), d.message, d.qos, d.retain, entry.packetId, true);
  }
  drainQueue(ctx, session);
}

/** PUBACK (QoS 1) or PUBCOMP (QoS 2) completed an outbound message: free its id and refill the window. */
export function completeOutbound(
  ctx: BrokerServices,
  session: Session,
  packetId: number,
  expected: 'publish' | 'pubrel',
  qos: QoS,
): boolean {
  const entry = session.inflightOut.get(packetId);
  if (entry === undefined || entry.state !== expected || entry.delivery.qos !== qos) return false;
  session.inflightOut.delete(packetId);
  ctx.stats.inflightOut--;
  if (!session.persisted) {
    drainQueue(ctx, session);
    return true;
  }
  // The next message sent now takes the freed id: its stored inflight entry replaces this one (one write, not
  // a removal and a write: a persistent session with a backlog sends one message per acknowledgement).
  session.reusablePacketId = packetId;
  drainQueue(ctx, session);
  session.reusablePacketId = undefined;
  // Not sent under it after all (nothing to send, or the message taken expired): the entry goes.
  if (!session.inflightOut.has(packetId))
    ctx.journal.write(ctx.journal.store.deleteInflight(session.clientId, packetId));
  return true;
}
