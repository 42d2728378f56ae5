/**
 * When a node of the cluster is dead: it was heard (or has wills in the bucket) and has not been heard
 * for three presence intervals while this node's own link to NATS was up long enough to hear it. Its
 * wills are then swept (wills.ts). After this node's own outage it waits three intervals before judging,
 * so that a silence it caused itself kills nobody.
 */
import type { Logger } from '@midge/mqtt-core';
import { messageOf } from './error-message.js';

export interface DeadNodeWatchOptions {
  readonly presence: { alive(): string[]; lastHeard(node: string): number | undefined };
  readonly wills: { sweep(node: string, diedAt: number): Promise<void>; alive(node: string): void };
  /** True while this node can hear the others. */
  readonly linkUp: () => boolean;
  readonly intervalMs: number;
  /** Nodes known at start (with wills in the bucket), dead unless heard within three intervals. */
  readonly known: Set<string>;
  readonly logger: Logger;
  readonly now?: () => number;
}

const JUDGE_AFTER_INTERVALS = 3;

export function watchForDeadNodes(options: DeadNodeWatchOptions): { tick(): void; stop(): void } {
  const now = options.now ?? Date.now;
  const known = options.known;
  const patience = JUDGE_AFTER_INTERVALS * options.intervalMs;
  let judgeFrom = now() + patience;
  const tick = (): void => {
    if (!options.linkUp()) {
      judgeFrom = now() + patience;
      return;
    }
    const alive = new Set(options.presence.alive());
    for (const node of alive) {
      known.add(node);
      options.wills.alive(node);
    }
    if (now() < judgeFrom) return;
    for (const node of known) {
      if (alive.has(node)) continue;
      // Its wills' delays run from when it was last heard (or now, for a node never heard).
      options.wills.sweep(node, options.presence.lastHeard(node) ?? now()).catch((err: unknown) => {
        options.logger.warn({ node, err: messageOf(err) }, 'the wills of a dead node could not be swept');
      });
    }
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
