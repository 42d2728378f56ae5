import { describe, expect, it, vi } from 'vitest';
import type { ConnectPacket } from '../../src/codec/packets.js';
import { abstain, allow, deny } from '../../src/plugin-api/decision.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import type { AuthenticateRequest, AuthorizeTopicRequest, Decision, MidgePlugin } from '../../src/plugin-api/types.js';
import { client, startHost } from './helpers.js';

const topicReq: AuthorizeTopicRequest = { client, action: 'receive', topic: 'a/b', qos: 0 };
const authReq: AuthenticateRequest = { client, password: Buffer.from('secret'), connect: {} as ConnectPacket };

type Verdict = 'allow' | 'deny' | 'abstain';
const value = (v: Verdict, tag: string): Decision => (v === 'allow' ? allow : v === 'abstain' ? abstain : deny(tag));

/** A plugin implementing both decision hooks with a fixed answer, sync or async. */
function answering(name: string, v: Verdict, mode: 'sync' | 'async', calls: string[] = []): MidgePlugin {
  const answer = (): Decision | Promise<Decision> => {
    calls.push(name);
    return mode === 'sync' ? value(v, name) : Promise.resolve(value(v, name));
  };
  return definePlugin({ name, apiVersion: 1, setup: () => ({ authenticate: answer, authorizeTopic: answer }) });
}

const verdicts: Verdict[] = ['allow', 'deny', 'abstain'];
const modes = ['sync', 'async'] as const;
const table: [Verdict, (typeof modes)[number], Verdict, (typeof modes)[number]][] = [];
for (const a of verdicts)
  for (const ma of modes) for (const b of verdicts) for (const mb of modes) table.push([a, ma, b, mb]);

function expected(a: Verdict, b: Verdict): 'allow' | 'deny' {
  if (a === 'deny' || b === 'deny') return 'deny';
  return a === 'allow' || b === 'allow' ? 'allow' : 'deny';
}

describe('decision combination', () => {
  it.each(table)('%s (%s) + %s (%s)', async (a, ma, b, mb) => {
    const { host } = await startHost([answering('A', a, ma), answering('B', b, mb)]);
    for (const run of [() => host.authenticate(authReq), () => host.authorizeTopic(topicReq)]) {
      const r = run();
      // Synchronous exactly when every consulted hook answered synchronously.
      const consultedAsync = ma === 'async' || (a !== 'deny' && mb === 'async');
      expect(r instanceof Promise).toBe(consultedAsync);
      const d = await r;
      expect(d.verdict).toBe(expected(a, b));
      if (a === 'deny') expect(d).toMatchObject({ reason: 'A' });
      else if (b === 'deny') expect(d).toMatchObject({ reason: 'B' });
      else if (d.verdict === 'deny') expect(d).toMatchObject({ reason: 'no plugin allowed it' });
    }
    await host.close();
  });

  it('returns the shared allow constant on the sync path', async () => {
    const { host } = await startHost([answering('A', 'allow', 'sync'), answering('B', 'abstain', 'sync')]);
    expect(host.authorizeTopic(topicReq)).toBe(allow);
  });

  it('the first deny in config order wins, and later plugins are not consulted', async () => {
    const calls: string[] = [];
    const { host } = await startHost([
      answering('A', 'abstain', 'async', calls),
      answering('B', 'deny', 'async', calls),
      answering('C', 'deny', 'sync', calls),
    ]);
    const d = await host.authorizeTopic(topicReq);
    expect(d).toEqual({ verdict: 'deny', reason: 'B' });
    expect(calls).toEqual(['A', 'B']);
  });

  it('keeps reasonCode and disconnect of the deny', async () => {
    const p = definePlugin({
      name: 'strict',
      apiVersion: 1,
      setup: () => ({ authenticate: () => deny('banned', { reasonCode: 0x8a, disconnect: true }) }),
    });
    const { host } = await startHost([answering('A', 'allow', 'sync'), p]);
    expect(host.authenticate(authReq)).toEqual({
      verdict: 'deny',
      reason: 'banned',
      reasonCode: 0x8a,
      disconnect: true,
    });
  });

  it('allows everything when no plugin implements the hooks, and reports it', async () => {
    const onlyEvents = definePlugin({
      name: 'ev',
      apiVersion: 1,
      setup: () => ({ events: { 'broker:pre-start': () => {} } }),
    });
    const { host } = await startHost([onlyEvents]);
    expect(host.hasTopicAuthorization).toBe(false);
    expect(host.hasAuthentication).toBe(false);
    expect(host.authenticate(authReq)).toBe(allow);
    expect(host.authorizeTopic(topicReq)).toBe(allow);

    const empty = await startHost([]);
    expect(empty.host.authenticate(authReq)).toBe(allow);
    expect(empty.host.authorizeTopic(topicReq)).toBe(allow);
  });

  it('topics stay unrestricted when only authenticate is implemented', async () => {
    const auth = definePlugin({ name: 'auth', apiVersion: 1, setup: () => ({ authenticate: () => abstain }) });
    const { host } = await startHost([auth]);
    expect(host.hasTopicAuthorization).toBe(false);
    expect(host.hasAuthentication).toBe(true);
    expect(host.authorizeTopic(topicReq)).toBe(allow);
    expect(host.authenticate(authReq)).toMatchObject({ verdict: 'deny' });
  });

  it('an async decision past the timeout is a deny, logged as warn under the plugin name', async () => {
    const slow = definePlugin({
      name: 'slow',
      apiVersion: 1,
      setup: () => ({ authorizeTopic: () => new Promise<Decision>(() => {}) }),
    });
    const { host, logger } = await startHost([answering('A', 'allow', 'sync'), slow], { decisionTimeoutMs: 30 });
    const started = Date.now();
    const d = await host.authorizeTopic(topicReq);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(d).toEqual({ verdict: 'deny', reason: 'timeout' });
    const warn = logger.records.find((r) => r.level === 'warn');
    expect(warn?.bindings.plugin).toBe('slow');
    expect(warn?.obj).toMatchObject({ hook: 'authorizeTopic', clientId: 'c1' });
  });

  it('a late answer after the timeout changes nothing and raises no unhandled rejection', async () => {
    vi.useFakeTimers();
    try {
      let rejectLate: (e: Error) => void = () => {};
      const late = definePlugin({
        name: 'late',
        apiVersion: 1,
        setup: () => ({
          authenticate: () =>
            new Promise<Decision>((_res, rej) => {
              rejectLate = rej;
            }),
        }),
      });
      const { host } = await startHost([late], { decisionTimeoutMs: 1000 });
      const pending = host.authenticate(authReq);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await pending).toEqual({ verdict: 'deny', reason: 'timeout' });
      rejectLate(new Error('too late'));
      await vi.advanceTimersByTimeAsync(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('db down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('db down'))],
  ])('a hook that %s denies (fail closed) and is logged as error under the plugin name', async (_label, hook) => {
    const broken = definePlugin({
      name: 'broken',
      apiVersion: 1,
      setup: () => ({ authenticate: hook, authorizeTopic: hook }),
    });
    const { host, logger } = await startHost([answering('A', 'allow', 'sync'), broken]);
    expect(await host.authenticate(authReq)).toEqual({ verdict: 'deny', reason: 'plugin error' });
    expect(await host.authorizeTopic(topicReq)).toEqual({ verdict: 'deny', reason: 'plugin error' });
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e.bindings.plugin).toBe('broken');
      expect((e.obj.err as Error).message).toBe('db down');
    }
    // The password never reaches the logs.
    expect(JSON.stringify(logger.records.map((r) => r.obj))).not.toContain('secret');
  });

  it('a hook returning something that is not a decision denies and is logged', async () => {
    const sloppy = definePlugin({
      name: 'sloppy',
      apiVersion: 1,
      setup: () => ({ authorizeTopic: () => undefined as unknown as Decision }),
    });
    const { host, logger } = await startHost([sloppy]);
    expect(host.authorizeTopic(topicReq)).toEqual({ verdict: 'deny', reason: 'plugin error' });
    expect(logger.records.find((r) => r.level === 'error')?.bindings.plugin).toBe('sloppy');
  });

  it('denies after close', async () => {
    const { host } = await startHost([answering('A', 'allow', 'sync')]);
    await host.close();
    expect(host.authorizeTopic(topicReq)).toMatchObject({ verdict: 'deny' });
    expect(host.authenticate(authReq)).toMatchObject({ verdict: 'deny' });
  });
});
