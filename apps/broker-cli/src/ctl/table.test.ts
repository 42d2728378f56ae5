import { describe, expect, it } from 'vitest';
import { formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns columns under their titles, without trailing spaces', () => {
    const rows = [
      { id: 'a', n: 'x' },
      { id: 'longer-id', n: 'yy' },
    ];
    expect(
      formatTable(rows, [
        { title: 'ID', value: (r) => r.id },
        { title: 'N', value: (r) => r.n },
      ]),
    ).toBe('ID         N\na          x\nlonger-id  yy\n');
  });

  it('keeps one row per line when a value holds newlines or control characters', () => {
    const out = formatTable([{ p: 'two\nlines\tand\u0007bell' }], [{ title: 'PAYLOAD', value: (r) => r.p }]);
    expect(out).toBe('PAYLOAD\ntwo\\nlines\\tand?bell\n');
  });
});
