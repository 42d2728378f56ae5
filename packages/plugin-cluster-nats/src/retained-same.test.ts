import { describe, expect, it } from 'vitest';
import type { Message } from '@midge/mqtt-core';
import { sameRetained } from './retained-same.js';

const base: Message = { topic: 't', payload: Buffer.from('v'), qos: 1, retain: true };

describe('sameRetained', () => {
  it('compares payload, QoS, expiry and properties as the wire carries them', () => {
    expect(sameRetained(undefined, base, undefined)).toBe(false);
    expect(sameRetained(base, { ...base }, undefined)).toBe(true);
    expect(sameRetained(base, { ...base, payload: Buffer.from('w') }, undefined)).toBe(false);
    expect(sameRetained(base, { ...base, qos: 0 }, undefined)).toBe(false);
    expect(sameRetained({ ...base, expiresAt: 5 }, base, 5)).toBe(true);
    expect(sameRetained({ ...base, expiresAt: 5 }, base, 6)).toBe(false);
    const props = { contentType: 'text/plain', userProperties: [['k', 'v']] as [string, string][] };
    expect(sameRetained({ ...base, properties: props }, { ...base, properties: { ...props } }, undefined)).toBe(true);
    // A topic alias means nothing across nodes: not part of the value.
    expect(
      sameRetained({ ...base, properties: { ...props, topicAlias: 3 } }, { ...base, properties: props }, undefined),
    ).toBe(true);
    expect(sameRetained({ ...base, properties: props }, { ...base, properties: { contentType: 'x' } }, undefined)).toBe(
      false,
    );
  });
});
