import { describe, expect, it } from 'vitest';
import { MemoryPersistence } from '../persistence/memory.js';
import { recordingLogger } from '../testing/plugin-context.js';
import { Journal } from './journal.js';

/** A write the test settles by hand. */
function pendingWrite(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve = (): void => undefined;
  let reject = (_err: Error): void => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function journal(): { journal: Journal; log: ReturnType<typeof recordingLogger> } {
  const log = recordingLogger();
  return { journal: new Journal({ log, persistence: new MemoryPersistence() }), log };
}

describe('Journal', () => {
  it('collects the writes of a routed message once per distinct promise: one transaction’s writes give one promise back', () => {
    const { journal: j } = journal();
    const turn = pendingWrite();
    j.begin();
    j.write(turn.promise);
    j.write(turn.promise);
    j.write(turn.promise);
    expect(j.end()).toBe(turn.promise);
  });

  it('waits for every distinct write of a routed message, and fails its acknowledgement if one fails', async () => {
    const { journal: j, log } = journal();
    const a = pendingWrite();
    const b = pendingWrite();
    j.begin();
    j.write(a.promise);
    j.write(b.promise);
    j.write(b.promise);
    const stored = j.end();
    expect(stored).toBeDefined();
    let settled = false;
    const outcome = stored?.then(
      () => (settled = true),
      (err: unknown) => err,
    );
    a.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    b.reject(new Error('disk full'));
    expect(await outcome).toEqual(new Error('disk full'));
    // One failed promise (one failed transaction) is logged once, however many writes it carried.
    expect(log.records.filter((r) => r.msg === 'persistence write failed')).toHaveLength(1);
  });

  it('gives nothing to wait for when a routed message wrote nothing, and collects nothing outside begin … end', () => {
    const { journal: j } = journal();
    j.write(Promise.resolve());
    j.begin();
    expect(j.end()).toBeUndefined();
  });

  it('is idle once every write handed to it has settled, shared promises included', async () => {
    const { journal: j } = journal();
    const a = pendingWrite();
    const b = pendingWrite();
    j.write(a.promise);
    j.write(a.promise);
    j.write(b.promise);
    j.write(a.promise); // not the last one handed in: waited for again, which changes nothing
    let idle = false;
    const waiting = j.idle().then(() => (idle = true));
    a.resolve();
    await a.promise;
    await Promise.resolve();
    expect(idle).toBe(false);
    b.resolve();
    await waiting;
    expect(idle).toBe(true);
    await expect(j.idle()).resolves.toBeUndefined();
  });

  it('is congested past its high mark of unsettled writes, counting each write of a shared promise, and calls back at its low mark', async () => {
    const log = recordingLogger();
    const j = new Journal({ log, persistence: new MemoryPersistence() }, { high: 4, low: 2 });
    const shared = pendingWrite();
    const others = [pendingWrite(), pendingWrite()];
    for (let i = 0; i < 3; i++) j.write(shared.promise);
    j.write(others[0]?.promise ?? Promise.resolve());
    expect(j.congested).toBe(false);
    j.write(others[1]?.promise ?? Promise.resolve());
    expect(j.congested).toBe(true);
    let resumed = 0;
    j.whenRelieved(() => resumed++);
    // 5 → 2 when the three writes sharing one promise settle: at the low mark, the held work resumes.
    shared.resolve();
    await new Promise((r) => setImmediate(r));
    expect(j.congested).toBe(false);
    expect(resumed).toBe(1);
    // Relieved already: called at once.
    j.whenRelieved(() => resumed++);
    expect(resumed).toBe(2);
  });
});
