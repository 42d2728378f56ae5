/**
 * At-least-once between nodes for QoS 1/2 messages, over core NATS, which keeps no copy: a NATS server
 * that dies loses what it had not passed on, and a link that is down sends nothing. So the node keeps
 *
 * - the QoS 1/2 messages it sent and the server has not confirmed yet (a PING answered after them, asked
 *   every CONFIRM_INTERVAL_MS while there are some): sent again, marked as copies, once the link is back
 *   (the receivers drop a copy whose first sending came: seen-messages.ts);
 * - the QoS 1/2 messages routed while the link is down: sent once it is back, in order;
 * - the QoS 1/2 messages of the last seconds, sent again for a node that asks after its own outage
 *   (recent-frames.ts, resend-requests.ts).
 *
 * Both are bounded (a NATS outage must not take the broker's memory); past a bound the oldest unconfirmed
 * message is given up, or a new message not queued, and counted.
 */
import { RecentFrames } from './recent-frames.js';

export const CONFIRM_INTERVAL_MS = 50;
export const MAX_UNCONFIRMED = 100_000;
export const MAX_PENDING = 100_000;
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export interface OutboxCounts {
  /** Messages queued while NATS was down, sent once it was back. */
  queued: number;
  /** Messages sent again after a reconnection (their first sending unconfirmed). */
  resent: number;
  /** Messages given up: unconfirmed past MAX_UNCONFIRMED, or routed while down past the queue's bounds. */
  givenUp: number;
  /** Messages sent again for another node that lost its link (`replayRecent`). */
  replayed: number;
}

export interface OutboxTransport {
  /** Sends one frame now; false when it could not. Must not throw. */
  send(subject: string, frame: Uint8Array): boolean;
  /** Resolves once the server has processed everything sent before; rejects when the connection dropped. */
  flush(): Promise<void>;
  /** The frame marked as a copy (wire.ts `redeliveredCopy`). */
  markCopy(frame: Uint8Array): Uint8Array;
}

export class ReliableOutbox {
  readonly counts: OutboxCounts = { queued: 0, resent: 0, givenUp: 0, replayed: 0 };
  readonly #recent = new RecentFrames();
  readonly #transport: OutboxTransport;
  // Parallel arrays (no object per message on the hot path).
  #unconfirmedSubjects: string[] = [];
  #unconfirmedFrames: Uint8Array[] = [];
  #pendingSubjects: string[] = [];
  #pendingFrames: Uint8Array[] = [];
  #pendingBytes = 0;
  #confirming = false;
  /** Unconfirmed frames given up so far (the oldest go first), so a confirmation counts what is left of its mark. */
  #shifted = 0;

  constructor(transport: OutboxTransport) {
    this.#transport = transport;
  }

  /** Messages kept: sent and unconfirmed, and waiting for the link. */
  get size(): number {
    return this.#unconfirmedFrames.length + this.#pendingFrames.length;
  }

  /**
   * A QoS 1/2 frame was routed and went out: kept until the server confirms it, and for a while for the
   * nodes that ask what they missed (`replayRecent`).
   */
  published(subject: string, frame: Uint8Array): void {
    this.sent(subject, frame);
    this.#recent.add(subject, frame, Date.now());
  }

  /**
   * Another node lost its link at `since` (epoch ms): sends again, marked as copies, the QoS 1/2 frames
   * published from then on that are still kept (RECENT_MS). Returns how many went.
   */
  replayRecent(since: number): number {
    let sent = 0;
    this.#recent.since(since, Date.now(), (subject, frame) => {
      if (this.#transport.send(subject, this.#transport.markCopy(frame))) sent++;
    });
    this.counts.replayed += sent;
    return sent;
  }

  /** A QoS 1/2 frame went out: kept until the server confirms it. */
  sent(subject: string, frame: Uint8Array): void {
    if (this.#unconfirmedFrames.length >= MAX_UNCONFIRMED) {
      this.#unconfirmedSubjects.shift();
      this.#unconfirmedFrames.shift();
      this.#shifted++;
      this.counts.givenUp++;
    }
    this.#unconfirmedSubjects.push(subject);
    this.#unconfirmedFrames.push(frame);
  }

  /** A QoS 1/2 frame routed while the link is down: queued, or false (counted) past the bounds. */
  queue(subject: string, frame: Uint8Array): boolean {
    if (this.#pendingFrames.length >= MAX_PENDING || this.#pendingBytes + frame.length > MAX_PENDING_BYTES) {
      this.counts.givenUp++;
      return false;
    }
    this.#pendingSubjects.push(subject);
    this.#pendingFrames.push(frame);
    this.#pendingBytes += frame.length;
    return true;
  }

  /** Asks the server to confirm what was sent so far (one at a time); drops it from here once it has. */
  confirm(): void {
    if (this.#confirming || this.#unconfirmedFrames.length === 0) return;
    this.#confirming = true;
    const frames = this.#unconfirmedFrames;
    const mark = frames.length;
    const shifted = this.#shifted;
    this.#transport.flush().then(
      () => {
        this.#confirming = false;
        // Only if no reconnection replaced the list meanwhile (those frames were sent again, unconfirmed).
        if (this.#unconfirmedFrames !== frames) return;
        const confirmed = mark - (this.#shifted - shifted);
        if (confirmed <= 0) return;
        frames.splice(0, confirmed);
        this.#unconfirmedSubjects.splice(0, confirmed);
      },
      () => {
        // The connection dropped: the frames stay, and go again once it is back.
        this.#confirming = false;
      },
    );
  }

  /**
   * The link is back: sends the unconfirmed frames again (marked as copies), then the queued ones, all
   * unconfirmed now. Returns how many went.
   */
  resend(): number {
    const subjects = [...this.#unconfirmedSubjects, ...this.#pendingSubjects];
    const frames: Uint8Array[] = [];
    const copies = this.#unconfirmedFrames.length;
    for (let i = 0; i < copies; i++) frames.push(this.#transport.markCopy(this.#unconfirmedFrames[i] as Uint8Array));
    for (const frame of this.#pendingFrames) frames.push(frame);
    this.counts.resent += copies;
    this.counts.queued += this.#pendingFrames.length;
    this.#pendingSubjects = [];
    this.#pendingFrames = [];
    this.#pendingBytes = 0;
    this.#unconfirmedSubjects = [];
    this.#unconfirmedFrames = [];
    let sent = 0;
    for (let i = 0; i < frames.length; i++) {
      const subject = subjects[i] as string;
      const frame = frames[i] as Uint8Array;
      if (!this.#transport.send(subject, frame)) continue;
      this.sent(subject, frame);
      sent++;
    }
    return sent;
  }
}
