import { nullLogger } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { watchForDeadNodes } from './dead-nodes.js';

function watch(options: { known?: string[] } = {}) {
  let clock = 0;
  let up = true;
  let alive = ['a'];
  const swept: string[] = [];
  const heard: string[] = [];
  const w = watchForDeadNodes({
    presence: { alive: () => alive, lastHeard: (node) => (node === 'b' ? 500 : undefined) },
    wills: {
      sweep: (node, diedAt) => {
        swept.push(`${node}@${diedAt}`);
        return Promise.resolve();
      },
      alive: (node) => heard.push(node),
    },
    linkUp: () => up,
    intervalMs: 1000,
    known: new Set(options.known ?? []),
    logger: nullLogger,
    now: () => clock,
  });
  w.stop();
  return {
    w,
    swept,
    heard,
    at: (ms: number) => (clock = ms),
    setAlive: (nodes: string[]) => (alive = nodes),
    setUp: (v: boolean) => (up = v),
  };
}

describe('dead node watch', () => {
  it('sweeps a node heard before once it falls silent, after the first three intervals', () => {
    const t = watch();
    t.setAlive(['a', 'b']);
    t.w.tick();
    t.setAlive(['a']);
    t.at(1000);
    t.w.tick();
    expect(t.swept).toEqual([]);
    t.at(3000);
    t.w.tick();
    expect(t.swept).toEqual(['b@500']);
    expect(t.heard).toContain('b');
  });

  it('sweeps nodes known from the bucket that are never heard', () => {
    const t = watch({ known: ['gone'] });
    t.at(3000);
    t.w.tick();
    expect(t.swept).toEqual(['gone@3000']);
  });

  it('judges nobody while its own link is down, nor for three intervals after', () => {
    const t = watch();
    t.setAlive(['a', 'b']);
    t.w.tick();
    t.at(5000);
    t.setUp(false);
    t.setAlive(['a']);
    t.w.tick();
    t.setUp(true);
    t.at(6000);
    t.w.tick();
    t.at(7999);
    t.w.tick();
    expect(t.swept).toEqual([]);
    t.at(8000);
    t.w.tick();
    expect(t.swept).toEqual(['b@500']);
  });
});
