/**
 * A node whose link to NATS was down asks the others, once it is back, to send again the QoS 1/2 messages
 * they published since it went away (`<prefix>.resend`): NATS routed them nowhere meanwhile, as it forgot
 * the node's interest with its connection. Each node answers from what it keeps of its last seconds
 * (recent-frames.ts), as copies the receivers drop when the first came (seen-messages.ts); every other
 * node with a matching subscription gets those copies too, and drops them the same way.
 */
import type { Logger } from '@midge/mqtt-core';
import { messageOf } from './error-message.js';

/** A node answers one node's requests at most this often (a flapping link must not flood the cluster). */
export const ANSWER_EVERY_MS = 1000;

export interface ResendRequestsOptions {
  readonly node: string;
  readonly prefix: string;
  readonly logger: Logger;
  readonly send: (subject: string, data: Uint8Array) => boolean;
  readonly subscribe: (subject: string, onMessage: (data: Uint8Array) => void) => () => void;
  /** Sends again what this node published since `since` (epoch ms); how many. */
  readonly replay: (since: number) => number;
}

interface ResendRequest {
  readonly node: string;
  readonly since: number;
}

export function resendSubject(prefix: string): string {
  return `${prefix}.resend`;
}

export class ResendRequests {
  readonly #options: ResendRequestsOptions;
  readonly #unsubscribe: () => void;
  readonly #answered = new Map<string, number>();

  constructor(options: ResendRequestsOptions) {
    this.#options = options;
    this.#unsubscribe = options.subscribe(resendSubject(options.prefix), (data) => this.#answer(data));
  }

  /** This node's link was down from `since` (epoch ms): the others send again what they published since. */
  ask(since: number): void {
    const request: ResendRequest = { node: this.#options.node, since };
    this.#options.send(resendSubject(this.#options.prefix), Buffer.from(JSON.stringify(request)));
  }

  close(): void {
    this.#unsubscribe();
  }

  #answer(data: Uint8Array): void {
    let request: ResendRequest;
    try {
      request = JSON.parse(Buffer.from(data).toString('utf8')) as ResendRequest;
      if (typeof request.node !== 'string' || typeof request.since !== 'number' || !Number.isFinite(request.since))
        throw new Error('a request names a node and a time');
    } catch (err) {
      this.#options.logger.warn({ err: messageOf(err) }, 'a resend request from another node could not be read');
      return;
    }
    if (request.node === this.#options.node) return;
    const now = Date.now();
    const last = this.#answered.get(request.node);
    if (last !== undefined && now - last < ANSWER_EVERY_MS) return;
    this.#answered.set(request.node, now);
    const sent = this.#options.replay(request.since);
    if (sent > 0)
      this.#options.logger.info(
        { node: request.node.slice(0, 64), messages: sent },
        'sent again, for a node that lost its link to NATS, what was published here since',
      );
  }
}
