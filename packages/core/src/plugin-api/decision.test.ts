import { describe, expect, it } from 'vitest';
import { abstain, allow, deny } from './decision.js';

describe('decisions', () => {
  it('allow and abstain are frozen constants', () => {
    expect(allow).toEqual({ verdict: 'allow' });
    expect(abstain).toEqual({ verdict: 'abstain' });
    expect(Object.isFrozen(allow)).toBe(true);
    expect(Object.isFrozen(abstain)).toBe(true);
  });

  it('deny() without arguments returns one shared frozen constant', () => {
    const a = deny();
    expect(a).toBe(deny());
    expect(a).toEqual({ verdict: 'deny' });
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('deny(reason, opts) returns a frozen object with only the fields given', () => {
    const d = deny('banned', { reasonCode: 0x87, disconnect: true });
    expect(d).toEqual({ verdict: 'deny', reason: 'banned', reasonCode: 0x87, disconnect: true });
    expect(Object.isFrozen(d)).toBe(true);
    expect(d).not.toBe(deny('banned', { reasonCode: 0x87, disconnect: true }));
    expect(Object.keys(deny('x'))).toEqual(['verdict', 'reason']);
    expect(Object.keys(deny(undefined, { disconnect: false }))).toEqual(['verdict', 'disconnect']);
  });
});
