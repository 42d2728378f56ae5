/**
 * Decision values returned by `authenticate` / `authorizeTopic` hooks.
 * They are frozen so the host can hand the same object to every caller: `allow`, `abstain` and a bare
 * `deny()` never allocate, which matters because `authorizeTopic` runs once per delivery.
 */
import type { AbstainDecision, AllowDecision, AuthenticatedStep, ChallengeStep, DenyDecision } from './types.js';

export const allow: AllowDecision = Object.freeze({ verdict: 'allow' });
export const abstain: AbstainDecision = Object.freeze({ verdict: 'abstain' });

const DENY: DenyDecision = Object.freeze({ verdict: 'deny' });

export interface DenyOptions {
  /** MQTT reason code to answer with; the broker picks a fitting one when absent. */
  readonly reasonCode?: number;
  /** Close the client's connection after answering. */
  readonly disconnect?: boolean;
}

/**
 * A refusal. `reason` is logged and sent as a v5 reason string where the packet allows one, so it must
 * never contain secrets. Without arguments it returns a shared constant.
 */
export function deny(reason?: string, opts?: DenyOptions): DenyDecision {
  if (reason === undefined && opts === undefined) return DENY;
  // Only set the fields given, so a logged decision shows what the plugin said and nothing else.
  const d: { verdict: 'deny'; reason?: string; reasonCode?: number; disconnect?: boolean } = { verdict: 'deny' };
  if (reason !== undefined) d.reason = reason;
  if (opts?.reasonCode !== undefined) d.reasonCode = opts.reasonCode;
  if (opts?.disconnect !== undefined) d.disconnect = opts.disconnect;
  return Object.freeze(d);
}

/**
 * `authenticate` succeeded and established who the client is: the broker uses `username` instead of the
 * CONNECT's (e.g. the subject of a JWT a client sent as its password, with no username or another one).
 */
export function allowAs(username: string): AllowDecision {
  return Object.freeze({ verdict: 'allow', username });
}

/** Enhanced authentication: send `data` to the client (AUTH 0x18) and wait; `state` comes back with its answer. */
export function challenge(data?: Buffer, state?: unknown): ChallengeStep {
  const c: { verdict: 'challenge'; data?: Buffer; state?: unknown } = { verdict: 'challenge' };
  if (data !== undefined) c.data = data;
  if (state !== undefined) c.state = state;
  return c;
}

/**
 * Enhanced authentication succeeded; `data` (e.g. a server signature) goes to the client with the success.
 * `options.username` is the identity the proof established: the broker uses it instead of the CONNECT's.
 */
export function authenticated(data?: Buffer, options?: { readonly username?: string }): AuthenticatedStep {
  const username = options?.username;
  if (username === undefined) return data === undefined ? allow : { verdict: 'allow', data };
  return data === undefined ? { verdict: 'allow', username } : { verdict: 'allow', data, username };
}
