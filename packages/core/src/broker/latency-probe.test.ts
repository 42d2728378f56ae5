import { describe, expect, it } from 'vitest';
import { LATENCY_SAMPLE_EVERY, LatencyProbe } from './latency-probe.js';
import { TimingHistogram } from './timing-histogram.js';

describe('TimingHistogram', () => {
  it('counts each observation in the first bucket whose bound it does not exceed', () => {
    const h = new TimingHistogram([0.001, 0.01]);
    h.observe(0.0005);
    h.observe(0.001);
    h.observe(0.005);
    h.observe(3);
    expect(h.snapshot()).toEqual({ bounds: [0.001, 0.01], counts: [2, 1, 1], sum: 3.0065, count: 4 });
  });
});

describe('LatencyProbe', () => {
  it('times the routing of one message in LATENCY_SAMPLE_EVERY, followed through a copy, once', () => {
    const probe = new LatencyProbe();
    const messages = Array.from({ length: LATENCY_SAMPLE_EVERY * 2 }, () => ({}));
    for (const m of messages.slice(0, LATENCY_SAMPLE_EVERY - 1)) probe.entered(m);
    // No sample yet: nothing is observed.
    for (const m of messages) probe.routed(m);
    expect(probe.snapshot().count).toBe(0);

    const sampled = messages[LATENCY_SAMPLE_EVERY - 1] as object;
    probe.entered(sampled);
    probe.routed(sampled);
    probe.routed(sampled);
    expect(probe.snapshot().count).toBe(1);

    // The next sample waits for a plugin: its copy is what gets routed.
    for (const m of messages.slice(LATENCY_SAMPLE_EVERY)) probe.entered(m);
    const next = messages[LATENCY_SAMPLE_EVERY * 2 - 1] as object;
    const copy = {};
    probe.copied({}, {}); // a copy of another message
    probe.copied(next, copy);
    probe.routed(messages[0] as object);
    probe.routed(copy);
    const s = probe.snapshot();
    expect(s.count).toBe(2);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(s.sum).toBeGreaterThanOrEqual(0);
  });
});
