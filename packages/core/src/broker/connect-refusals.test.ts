import { describe, expect, it } from 'vitest';
import { refusalName } from './connect-refusals.js';

describe('refusalName', () => {
  it('gives a v3 return code and its v5 reason code one name', () => {
    expect(refusalName(0x04)).toBe('bad-credentials');
    expect(refusalName(0x86)).toBe('bad-credentials');
    expect(refusalName(0x05)).toBe(refusalName(0x87));
    expect(refusalName(0x01)).toBe(refusalName(0x84));
    expect(refusalName(0x02)).toBe(refusalName(0x85));
    expect(refusalName(0x03)).toBe(refusalName(0x88));
  });

  it("names a code that is no CONNACK code 'other', so the label set stays bounded", () => {
    expect(refusalName(0x00)).toBe('other');
    expect(refusalName(0x8e)).toBe('other');
    expect(refusalName(1234)).toBe('other');
  });
});
