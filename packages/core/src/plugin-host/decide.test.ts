import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abstain, allow, deny } from '../plugin-api/decision.js';
import type { Decision } from '../plugin-api/types.js';
import { decide, HOOK_FAILED, HOOK_TIMED_OUT, NOBODY_ALLOWED } from './decide.js';
import type { DecisionRule, HookFailure, Voter } from './decide.js';

/**
 * The combination rule as a table. Each hook is written as a token: `allow`, `abstain`, `deny:<reason>`
 * (sync), `async <answer>`, `veto <answer>` (a vetoTopic hook), or a failure: `throws`, `rejects`, `hangs`
 * (never settles: times out), `invalid` (not a decision), `async invalid`.
 */
type Request = { readonly id: number };
interface TestVoter extends Voter<Request> {
  readonly token: string;
}

const TIMEOUT_MS = 1000;
const request: Request = { id: 1 };

function answerOf(token: string): unknown {
  if (token === 'allow') return allow;
  if (token === 'abstain') return abstain;
  if (token === 'invalid') return { verdict: 'maybe' };
  if (token.startsWith('deny:')) return deny(token.slice(5));
  throw new Error(`unknown token ${token}`);
}

function voterFor(token: string, asked: string[]): TestVoter {
  const vetoOnly = token.startsWith('veto ');
  const rest = vetoOnly ? token.slice(5) : token;
  const ask = (): unknown => {
    asked.push(token);
    if (rest === 'throws') throw new Error('boom');
    if (rest === 'rejects') return Promise.reject(new Error('boom'));
    if (rest === 'hangs') return new Promise(() => {});
    if (rest.startsWith('async ')) return Promise.resolve(answerOf(rest.slice(6)));
    return answerOf(rest);
  };
  return { token, ask, vetoOnly };
}

type Expected = 'allow' | 'default' | `deny:${string}` | 'plugin error' | 'timeout';
interface Row {
  readonly hooks: readonly string[];
  /** What all-abstain answers in this row (the default decision). */
  readonly whenAllAbstain?: 'allow' | 'deny';
  readonly expected: Expected;
  readonly sync: boolean;
  /** How many hooks were asked (the rule stops at the first deny). */
  readonly asked: number;
  readonly failure?: HookFailure;
}

const table: Row[] = [
  // Any deny denies; the first deny in config order is the answer and stops the round.
  { hooks: ['deny:A', 'allow'], expected: 'deny:A', sync: true, asked: 1 },
  { hooks: ['allow', 'deny:B'], expected: 'deny:B', sync: true, asked: 2 },
  { hooks: ['deny:A', 'deny:B'], expected: 'deny:A', sync: true, asked: 1 },
  { hooks: ['abstain', 'deny:B', 'throws'], expected: 'deny:B', sync: true, asked: 2 },
  { hooks: ['async deny:A', 'deny:B'], expected: 'deny:A', sync: false, asked: 1 },
  { hooks: ['allow', 'async deny:B'], expected: 'deny:B', sync: false, asked: 2 },
  { hooks: ['async abstain', 'async deny:B', 'allow'], expected: 'deny:B', sync: false, asked: 2 },
  // Otherwise one allow is needed.
  { hooks: ['allow'], expected: 'allow', sync: true, asked: 1 },
  { hooks: ['allow', 'abstain'], expected: 'allow', sync: true, asked: 2 },
  { hooks: ['abstain', 'allow'], expected: 'allow', sync: true, asked: 2 },
  { hooks: ['async allow', 'abstain'], expected: 'allow', sync: false, asked: 2 },
  { hooks: ['abstain', 'async allow'], expected: 'allow', sync: false, asked: 2 },
  // Every hook abstained: the default decision.
  { hooks: [], expected: 'default', sync: true, asked: 0 },
  { hooks: ['abstain'], expected: 'default', sync: true, asked: 1 },
  { hooks: ['abstain', 'abstain'], whenAllAbstain: 'allow', expected: 'default', sync: true, asked: 2 },
  { hooks: ['abstain', 'async abstain'], expected: 'default', sync: false, asked: 2 },
  { hooks: ['async abstain'], whenAllAbstain: 'allow', expected: 'default', sync: false, asked: 1 },
  // A veto hook refuses or grants nothing: its allow counts as abstain.
  { hooks: ['veto deny:V', 'allow'], expected: 'deny:V', sync: true, asked: 1 },
  { hooks: ['veto allow'], expected: 'default', sync: true, asked: 1 },
  { hooks: ['veto abstain', 'allow'], expected: 'allow', sync: true, asked: 2 },
  { hooks: ['allow', 'veto async deny:V'], expected: 'deny:V', sync: false, asked: 2 },
  { hooks: ['veto allow', 'veto abstain'], whenAllAbstain: 'allow', expected: 'default', sync: true, asked: 2 },
  // A failing hook denies (fail closed), reported once, and stops the round.
  { hooks: ['throws', 'allow'], expected: 'plugin error', sync: true, asked: 1, failure: 'threw' },
  { hooks: ['allow', 'throws'], expected: 'plugin error', sync: true, asked: 2, failure: 'threw' },
  { hooks: ['invalid', 'allow'], expected: 'plugin error', sync: true, asked: 1, failure: 'invalid' },
  { hooks: ['rejects', 'allow'], expected: 'plugin error', sync: false, asked: 1, failure: 'rejected' },
  { hooks: ['allow', 'async invalid'], expected: 'plugin error', sync: false, asked: 2, failure: 'invalid' },
  { hooks: ['async allow', 'throws'], expected: 'plugin error', sync: false, asked: 2, failure: 'threw' },
  { hooks: ['hangs', 'allow'], expected: 'timeout', sync: false, asked: 1, failure: 'timed-out' },
  {
    hooks: ['allow', 'hangs'],
    whenAllAbstain: 'allow',
    expected: 'timeout',
    sync: false,
    asked: 2,
    failure: 'timed-out',
  },
];

function expectedDecision(row: Row, whenAllAbstain: Decision): Decision {
  switch (row.expected) {
    case 'allow':
      return allow;
    case 'default':
      return whenAllAbstain;
    case 'plugin error':
      return HOOK_FAILED;
    case 'timeout':
      return HOOK_TIMED_OUT;
    default:
      return { verdict: 'deny', reason: row.expected.slice(5) };
  }
}

describe('decide: the combination rule', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(
    table.map(
      (row) => [`${row.hooks.join(' + ') || 'no hook'} (all abstain → ${row.whenAllAbstain ?? 'deny'})`, row] as const,
    ),
  )('%s', async (_label, row) => {
    const asked: string[] = [];
    const failures: [string, HookFailure][] = [];
    const whenAllAbstain = row.whenAllAbstain === 'allow' ? allow : NOBODY_ALLOWED;
    const rule: DecisionRule<Request, TestVoter> = {
      whenAllAbstain,
      timeoutMs: TIMEOUT_MS,
      onFailure: (voter, req, failure) => {
        expect(req).toBe(request);
        failures.push([voter.token, failure]);
      },
    };
    const voters = row.hooks.map((token) => voterFor(token, asked));

    const result = decide(voters, request, rule);

    expect(result instanceof Promise).toBe(!row.sync);
    const settled = Promise.resolve(result);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    const decision = await settled;
    const want = expectedDecision(row, whenAllAbstain);
    expect(decision).toEqual(want);
    // Shared constants stay shared (no copy per decision): allow, the default, the failure denies.
    if (!row.expected.startsWith('deny:')) expect(decision).toBe(want);
    expect(asked).toEqual(row.hooks.slice(0, row.asked));
    expect(failures).toEqual(row.failure === undefined ? [] : [[row.hooks[row.asked - 1], row.failure]]);
  });

  it("returns a hook's own deny object, so its reasonCode and disconnect reach the client", () => {
    const own = deny('banned', { reasonCode: 0x8a, disconnect: true });
    const rule: DecisionRule<Request, TestVoter> = {
      whenAllAbstain: NOBODY_ALLOWED,
      timeoutMs: 0,
      onFailure: () => {},
    };
    const voters: TestVoter[] = [{ token: 'own', vetoOnly: false, ask: () => own }];
    expect(decide(voters, request, rule)).toBe(own);
  });

  it('waits without limit when the timeout is 0', async () => {
    let answer: (d: Decision) => void = () => {};
    const rule: DecisionRule<Request, TestVoter> = {
      whenAllAbstain: NOBODY_ALLOWED,
      timeoutMs: 0,
      onFailure: () => {},
    };
    const voters: TestVoter[] = [
      { token: 'slow', vetoOnly: false, ask: () => new Promise<Decision>((r) => (answer = r)) },
    ];
    const pending = decide(voters, request, rule);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    answer(allow);
    expect(await pending).toBe(allow);
  });
});
