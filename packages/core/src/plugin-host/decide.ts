/**
 * The combination rule for plugin decisions (authenticate, authorizeTopic + vetoTopic, authorizeClient),
 * on its own so it can be read and tested as one table. It holds no state: the host gives it the hooks
 * in config order, the request and a rule (what all-abstain answers, the timeout, whom to tell about a
 * failing hook).
 *
 * - Hooks are asked one after the other in config order; the first deny is the answer and the hooks
 *   after it are not asked, whether they answer synchronously or not.
 * - Otherwise one allow is needed; a veto hook's allow is no grant (it counts as abstain).
 * - When every hook abstained, the answer is the rule's `whenAllAbstain`.
 * - A hook that throws, rejects, answers something that is not a decision, or answers asynchronously
 *   later than the timeout, denies (fail closed).
 * - The answer is synchronous when every hook asked answered synchronously; that path allocates nothing
 *   (decisions are shared constants), because authorizeTopic runs once per delivery.
 */
import { deny } from '../plugin-api/decision.js';
import type { AllowDecision, Decision, DenyDecision } from '../plugin-api/types.js';
import { isThenable, TIMED_OUT, withTimeout } from './timeout.js';

/** One hook as the rule sees it. */
export interface Voter<R> {
  readonly ask: (request: R) => unknown;
  /** A veto hook (vetoTopic) only refuses: its allow grants nothing. */
  readonly vetoOnly: boolean;
}

/** Why a hook's answer was replaced by a deny. */
export type HookFailure = 'threw' | 'rejected' | 'timed-out' | 'invalid';

export interface DecisionRule<R, V extends Voter<R>> {
  /** The answer when no hook denied and none allowed. */
  readonly whenAllAbstain: Decision;
  /** Milliseconds an asynchronous answer may take; 0 or Infinity = no limit. */
  readonly timeoutMs: number;
  /** Told about each failing hook (the host logs it under the plugin's name); the answer becomes a deny. */
  readonly onFailure: (voter: V, request: R, failure: HookFailure, detail: unknown) => void;
}

// Reasons are sent to clients as v5 reason strings, so they say what happened and nothing more.
export const NOBODY_ALLOWED: DenyDecision = deny('no plugin allowed it');
export const HOOK_FAILED: DenyDecision = deny('plugin error');
export const HOOK_TIMED_OUT: DenyDecision = deny('timeout');

/** Combines the answers of `voters` to `request` (see the module comment). */
export function decide<R, V extends Voter<R>>(
  voters: readonly V[],
  request: R,
  rule: DecisionRule<R, V>,
): Decision | Promise<Decision> {
  // The first allowing answer: it may name the client (`allowAs`), which an authentication passes on.
  let allowed: AllowDecision | undefined;
  for (let i = 0; i < voters.length; i++) {
    const voter = voters[i] as V;
    let answer: unknown;
    try {
      answer = voter.ask(request);
    } catch (err) {
      return failed(voter, request, rule, 'threw', err);
    }
    if (isThenable(answer)) return decideAsync(voters, request, rule, i, answer, allowed);
    // Inlined (as in count()) because this loop runs per delivery.
    const verdict = verdictOf(answer);
    if (verdict === 'deny') return answer as DenyDecision;
    if (verdict === 'allow') {
      if (!voter.vetoOnly) allowed ??= answer as AllowDecision;
    } else if (verdict !== 'abstain') {
      return failed(voter, request, rule, 'invalid', answer);
    }
  }
  return allowed ?? rule.whenAllAbstain;
}

/** The rest of `decide` once a hook answered with a promise: `pending` is hook `start`'s answer. */
async function decideAsync<R, V extends Voter<R>>(
  voters: readonly V[],
  request: R,
  rule: DecisionRule<R, V>,
  start: number,
  pending: PromiseLike<unknown>,
  allowedSoFar: AllowDecision | undefined,
): Promise<Decision> {
  let allowed = allowedSoFar;
  for (let i = start; i < voters.length; i++) {
    const voter = voters[i] as V;
    let answer: unknown;
    if (i === start) {
      answer = await awaitAnswer(voter, request, rule, pending);
    } else {
      try {
        answer = voter.ask(request);
      } catch (err) {
        return failed(voter, request, rule, 'threw', err);
      }
      if (isThenable(answer)) answer = await awaitAnswer(voter, request, rule, answer);
    }
    const counted = count(voter, request, rule, answer);
    if (counted === true) allowed ??= answer as AllowDecision;
    else if (counted !== false) return counted;
  }
  return allowed ?? rule.whenAllAbstain;
}

/**
 * Waits for one asynchronous answer within the rule's timeout. A timeout or a rejection is reported and
 * answers a deny in the hook's place; a late answer is ignored.
 */
export async function awaitAnswer<R, V extends Voter<R>>(
  voter: V,
  request: R,
  rule: DecisionRule<R, V>,
  pending: PromiseLike<unknown>,
): Promise<unknown> {
  try {
    const answer = await withTimeout(pending, rule.timeoutMs);
    if (answer !== TIMED_OUT) return answer;
    rule.onFailure(voter, request, 'timed-out', rule.timeoutMs);
    return HOOK_TIMED_OUT;
  } catch (err) {
    return failed(voter, request, rule, 'rejected', err);
  }
}

/** A failing hook's deny, after telling the rule's owner. */
export function failed<R, V extends Voter<R>>(
  voter: V,
  request: R,
  rule: DecisionRule<R, V>,
  failure: HookFailure,
  detail: unknown,
): DenyDecision {
  rule.onFailure(voter, request, failure, detail);
  return HOOK_FAILED;
}

/** One settled answer: true = a grant, false = no grant (abstain, or a veto's allow), a deny = stop here. */
function count<R, V extends Voter<R>>(
  voter: V,
  request: R,
  rule: DecisionRule<R, V>,
  answer: unknown,
): boolean | DenyDecision {
  const verdict = verdictOf(answer);
  if (verdict === 'deny') return answer as DenyDecision;
  if (verdict === 'allow') return !voter.vetoOnly;
  if (verdict === 'abstain') return false;
  return failed(voter, request, rule, 'invalid', answer);
}

export function verdictOf(answer: unknown): unknown {
  return typeof answer === 'object' && answer !== null ? (answer as { verdict?: unknown }).verdict : undefined;
}
