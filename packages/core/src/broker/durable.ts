import type { BrokerContext } from './context.js';

/**
 * Fire-and-forget write to persistence, off the hot path (subscriptions, session records, retained
 * messages; queues and inflight windows are saved at shutdown). Writes for one client id are issued
 * in order. A failure is logged and never breaks routing.
 */
export function persistWrite(ctx: BrokerContext, write: Promise<void>): void {
  write.catch((err: unknown) => ctx.log.error({ err }, 'persistence write failed'));
}
