/**
 * Writes messages into a JetStream stream many at a time: each is a plain NATS publish with a reply subject
 * under one inbox of this writer, and JetStream's acknowledgement (`{"stream":..,"seq":..}` or
 * `{"error":..}`) arriving there settles it. The client library's `js.publish` does a request per message
 * (a reply subscription, a timer and several promises each): on this path, one per QoS 1/2 message a
 * persistent session matches, that cost the publishing node six times the CPU of the message itself
 * (bench/README.md). Timeouts are swept a few times a second instead of one timer per message.
 */
import { createInbox } from '@nats-io/transport-node';
import type { MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';

const SWEEP_MS = 100;

interface Pending {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
}

const utf8 = new TextDecoder();

export class StreamWriter {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #inbox: Subscription;
  /** By sequence number, oldest first (Map keeps insertion order): the sweep stops at the first not due. */
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  readonly #sweeper: NodeJS.Timeout;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#prefix = createInbox();
    this.#inbox = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, msg) => {
        if (err !== null) return;
        const seq = Number(msg.subject.slice(this.#prefix.length + 1));
        const pending = this.#pending.get(seq);
        if (pending === undefined) return;
        this.#pending.delete(seq);
        const problem = ackProblem(msg.data);
        if (problem === undefined) pending.resolve();
        else pending.reject(new Error(problem));
      },
    });
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS).unref();
  }

  /** Resolves once the stream has `data` (published on `subject`); rejects on JetStream's error or after the timeout. */
  write(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<void> {
    const seq = ++this.#seq;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject, deadline: Date.now() + this.#timeoutMs });
      try {
        const reply = `${this.#prefix}.${seq}`;
        this.#nc.publish(subject, data, headers === undefined ? { reply } : { reply, headers });
      } catch (err) {
        this.#pending.delete(seq);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#inbox.unsubscribe();
    for (const pending of this.#pending.values()) pending.reject(new Error('the stream writer closed'));
    this.#pending.clear();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [seq, pending] of this.#pending) {
      if (pending.deadline > now) break;
      this.#pending.delete(seq);
      pending.reject(new Error(`no acknowledgement from JetStream within ${this.#timeoutMs} ms`));
    }
  }
}

/** Why JetStream's answer is not an acknowledgement, or undefined when it is one. */
export function ackProblem(data: Uint8Array): string | undefined {
  // No responders: an empty message with a 503 status (the stream does not exist, or JetStream is down).
  if (data.length === 0) return 'JetStream did not answer (no stream for the subject, or JetStream down)';
  let answer: unknown;
  try {
    answer = JSON.parse(utf8.decode(data));
  } catch {
    return 'JetStream answered with something that is not JSON';
  }
  const a = answer as { error?: { description?: string; code?: number }; seq?: unknown } | null;
  if (a?.error !== undefined)
    return `JetStream refused the message: ${a.error.description ?? 'error'} (${a.error.code ?? '?'})`;
  if (typeof a?.seq !== 'number') return 'JetStream answered without a sequence number';
  return undefined;
}
