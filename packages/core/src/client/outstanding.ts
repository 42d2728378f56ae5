/**
 * Everything the client sent and still waits an answer for, by packet id: QoS 1/2 publishes, SUBSCRIBE and
 * UNSUBSCRIBE. Kept across connections so a reconnect can resend it, in the original order, and the
 * caller's promise settles whenever the answer finally comes (or rejects when the client gives up).
 */
import type {
  Packet,
  ProtocolVersion,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
  SubackPacket,
  SubscribePacket,
  SubscribeProperties,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
} from '../codec/packets.js';
import { ClientError, ClientErrorCode, reasonText } from './errors.js';
import type { Granted, UnsubscribeResult } from './types.js';

interface PendingPublish {
  readonly kind: 'publish';
  readonly packet: PublishPacket;
  /** QoS 2: 'pubrel' once PUBREC came, so a resend sends PUBREL instead of the message. */
  stage: 'publish' | 'pubrel';
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}
interface PendingSubscribe {
  readonly kind: 'subscribe';
  readonly packet: SubscribePacket;
  readonly resolve: (granted: Granted[]) => void;
  readonly reject: (err: Error) => void;
}
interface PendingUnsubscribe {
  readonly kind: 'unsubscribe';
  readonly packet: UnsubscribePacket;
  readonly resolve: (r: UnsubscribeResult) => void;
  readonly reject: (err: Error) => void;
}
type Pending = PendingPublish | PendingSubscribe | PendingUnsubscribe;

type Ack = PubackPacket | PubrecPacket | PubcompPacket | SubackPacket | UnsubackPacket;

/** The broker refused some filters of a SUBSCRIBE; the others (in `granted`) are active. */
export class SubscribeRefusedError extends ClientError {
  readonly granted: readonly Granted[];
  readonly refused: readonly { readonly topic: string; readonly reasonCode: number }[];

  constructor(granted: Granted[], refused: { topic: string; reasonCode: number }[], version: ProtocolVersion) {
    const what = refused
      .map((r) => `'${r.topic}' (${version === 5 ? reasonText(r.reasonCode) : `0x${r.reasonCode.toString(16)}`})`)
      .join(', ');
    super(ClientErrorCode.subscribeRefused, `the broker refused the subscription to ${what}`, {
      reasonCode: refused[0]?.reasonCode ?? 0x80,
    });
    this.name = 'SubscribeRefusedError';
    this.granted = granted;
    this.refused = refused;
  }
}

export class Outstanding {
  readonly #pending = new Map<number, Pending>();
  #queued0: { packet: PublishPacket; resolve: () => void; reject: (err: Error) => void }[] = [];
  #nextId = 1;
  readonly #version: ProtocolVersion;
  #drainWaiters: (() => void)[] = [];
  readonly #send: (packet: Packet, done?: (err?: Error | null) => void) => boolean;

  constructor(send: (packet: Packet, done?: (err?: Error | null) => void) => boolean, version: ProtocolVersion) {
    this.#send = send;
    this.#version = version;
  }

  get size(): number {
    return this.#pending.size;
  }

  #allocate(): number {
    if (this.#pending.size >= 65535)
      throw new ClientError(
        ClientErrorCode.invalidArgument,
        'all 65535 packet ids are in use: wait for acknowledgments',
      );
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === 65535 ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    }
  }

  publish(packet: PublishPacket, sendNow: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.#allocate();
      packet.packetId = id;
      this.#pending.set(id, { kind: 'publish', packet, stage: 'publish', resolve, reject });
      if (sendNow) this.#send(packet);
    });
  }

  queueQos0(packet: PublishPacket): Promise<void> {
    return new Promise((resolve, reject) => this.#queued0.push({ packet, resolve, reject }));
  }

  subscribe(
    subscriptions: Subscription[],
    properties: SubscribeProperties | undefined,
    sendNow: boolean,
  ): Promise<Granted[]> {
    return new Promise((resolve, reject) => {
      const packet: SubscribePacket = {
        type: 'subscribe',
        packetId: this.#allocate(),
        subscriptions,
        ...(properties ? { properties } : {}),
      };
      this.#pending.set(packet.packetId, { kind: 'subscribe', packet, resolve, reject });
      if (sendNow) this.#send(packet);
    });
  }

  unsubscribe(topics: string[], sendNow: boolean): Promise<UnsubscribeResult> {
    return new Promise((resolve, reject) => {
      const packet: UnsubscribePacket = { type: 'unsubscribe', packetId: this.#allocate(), topics };
      this.#pending.set(packet.packetId, { kind: 'unsubscribe', packet, resolve, reject });
      if (sendNow) this.#send(packet);
    });
  }

  /** After a reconnect: `first()`, then everything unanswered again, in order (publishes with DUP=1), then queued QoS 0. */
  resend(first: () => void): void {
    // Snapshot before `first` (the re-subscription) adds entries that it sends itself.
    const pending = [...this.#pending.values()];
    first();
    for (const p of pending) {
      if (p.kind !== 'publish') this.#send(p.packet);
      else if (p.stage === 'pubrel')
        this.#send({ type: 'pubrel', packetId: p.packet.packetId as number, ...(this.#v5 ? { reasonCode: 0 } : {}) });
      else this.#send({ ...p.packet, dup: true });
    }
    const queued = this.#queued0;
    this.#queued0 = [];
    for (const q of queued) {
      this.#send(q.packet, (err) =>
        err
          ? q.reject(new ClientError(ClientErrorCode.network, `publish to '${q.packet.topic}' failed: ${err.message}`))
          : q.resolve(),
      );
    }
  }

  get #v5(): boolean {
    return this.#version === 5;
  }

  /** Handles an acknowledgment; `subscriptions` is the client's registry, updated on SUBACK / UNSUBACK. */
  onAck(ack: Ack, subscriptions: Map<string, Subscription>): void {
    const p = this.#pending.get(ack.packetId);
    if (ack.type === 'pubrec') {
      // PUBREL even for an unknown id: the broker holds the message until it gets one.
      if (p?.kind === 'publish' && p.packet.qos === 2 && (ack.reasonCode ?? 0) >= 0x80) {
        this.#settle(ack.packetId);
        p.reject(this.#refused(p.packet, ack.reasonCode ?? 0x80));
        return;
      }
      if (p?.kind === 'publish') p.stage = 'pubrel';
      this.#send({ type: 'pubrel', packetId: ack.packetId, ...(this.#v5 ? { reasonCode: 0 } : {}) });
      return;
    }
    if (p === undefined) return;
    switch (ack.type) {
      case 'puback':
      case 'pubcomp':
        if (p.kind !== 'publish' || (ack.type === 'puback') !== (p.packet.qos === 1)) return;
        this.#settle(ack.packetId);
        if ((ack.reasonCode ?? 0) >= 0x80) p.reject(this.#refused(p.packet, ack.reasonCode ?? 0x80));
        else p.resolve();
        return;
      case 'suback': {
        if (p.kind !== 'subscribe') return;
        this.#settle(ack.packetId);
        const granted: Granted[] = [];
        const refused: { topic: string; reasonCode: number }[] = [];
        p.packet.subscriptions.forEach((s, i) => {
          const code = ack.reasonCodes[i] ?? 0x80;
          if (code < 0x80 && code <= 2) {
            granted.push({ topic: s.topic, qos: code as 0 | 1 | 2 });
            subscriptions.set(s.topic, s);
          } else {
            refused.push({ topic: s.topic, reasonCode: code });
          }
        });
        if (refused.length > 0) p.reject(new SubscribeRefusedError(granted, refused, this.#version));
        else p.resolve(granted);
        return;
      }
      case 'unsuback':
        if (p.kind !== 'unsubscribe') return;
        this.#settle(ack.packetId);
        for (const t of p.packet.topics) subscriptions.delete(t);
        p.resolve({
          ...(ack.reasonCodes ? { reasonCodes: ack.reasonCodes } : {}),
          ...(ack.properties ? { properties: ack.properties } : {}),
        });
        return;
    }
  }

  #refused(packet: PublishPacket, code: number): ClientError {
    return new ClientError(
      ClientErrorCode.publishRefused,
      `the broker refused the message to '${packet.topic}': ${reasonText(code)}`,
      { reasonCode: code },
    );
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#wakeDrainers();
  }

  #wakeDrainers(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once nothing is outstanding (or `stop()` says to stop waiting, checked on each wake-up). */
  async drained(stop: () => boolean): Promise<void> {
    while (this.#pending.size > 0 && !stop()) {
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
  }

  /** Rejects everything outstanding with `err` (the client gave up or was closed). */
  failAll(err: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const queued = this.#queued0;
    this.#queued0 = [];
    for (const p of pending) p.reject(err);
    for (const q of queued) q.reject(err);
    this.#wakeDrainers();
  }
}
