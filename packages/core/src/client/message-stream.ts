/**
 * The bounded buffer behind `client.messages()`. A slow consumer never makes memory grow without bound:
 * QoS 0 messages arriving to a full buffer are dropped (and counted), while QoS 1/2 messages are kept but
 * their acknowledgment is held until the consumer takes them, so the broker's inflight window stops the
 * flow (backpressure).
 */
import type { ClientMessage } from './types.js';

/** Releases one hold on an inbound ack; the ack goes out when every holder has released it. */
export type AckRelease = () => void;

interface Entry {
  readonly message: ClientMessage;
  release: AckRelease | undefined;
}

export class MessageStream implements AsyncIterableIterator<ClientMessage, undefined> {
  /** QoS 0 messages dropped because the buffer was full. */
  dropped = 0;
  readonly #limit: number;
  readonly #buffer: Entry[] = [];
  #head = 0;
  #waiter: ((r: IteratorResult<ClientMessage, undefined>) => void) | undefined;
  #ended = false;
  readonly #onReturn: (s: MessageStream) => void;

  constructor(limit: number, onReturn: (s: MessageStream) => void) {
    this.#limit = limit;
    this.#onReturn = onReturn;
  }

  get size(): number {
    return this.#buffer.length - this.#head;
  }

  /**
   * Offers a message. Returns 'taken' (ack may go now), 'held' (the stream keeps `release` and calls it
   * when the consumer takes the message) or 'dropped' (QoS 0 into a full buffer).
   */
  push(message: ClientMessage, release: AckRelease | undefined): 'taken' | 'held' | 'dropped' {
    if (this.#ended) return 'taken';
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: message, done: false });
      return 'taken';
    }
    const full = this.size >= this.#limit;
    if (full && message.qos === 0) {
      this.dropped++;
      return 'dropped';
    }
    this.#buffer.push({ message, release: full ? release : undefined });
    return full && release !== undefined ? 'held' : 'taken';
  }

  /** Ends the stream: buffered messages are still yielded, then `done`. */
  end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    if (waiter !== undefined && this.size === 0) {
      this.#waiter = undefined;
      waiter({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<ClientMessage, undefined>> {
    if (this.size > 0) {
      const entry = this.#buffer[this.#head] as Entry;
      this.#buffer[this.#head++] = undefined as unknown as Entry;
      // Compact now and then so a long-lived stream does not keep a growing array of holes.
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer.splice(0, this.#head);
        this.#head = 0;
      }
      entry.release?.();
      return Promise.resolve({ value: entry.message, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** `break` out of `for await`: stop buffering and let held acks go. */
  return(): Promise<IteratorResult<ClientMessage, undefined>> {
    this.#release();
    return Promise.resolve({ value: undefined, done: true });
  }

  #release(): void {
    this.#ended = true;
    for (let i = this.#head; i < this.#buffer.length; i++) this.#buffer[i]?.release?.();
    this.#buffer.length = 0;
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
    this.#onReturn(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
