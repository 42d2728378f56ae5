import type { Logger } from '../plugin-api/types.js';

/**
 * Fire-and-forget write to persistence, off the hot path (subscriptions, session records, retained
 * messages; queues and inflight windows are saved at shutdown). Writes for one client id are issued
 * in order. A failure is logged and never breaks routing.
 */
export function persistWrite(services: { readonly log: Logger }, write: Promise<void>): void {
  write.catch((err: unknown) => services.log.error({ err }, 'persistence write failed'));
}
