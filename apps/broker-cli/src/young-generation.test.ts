import { describe, expect, it } from 'vitest';
import { nodeFlags, youngGenerationFlags } from './young-generation.js';

describe('young-generation flags', () => {
  it('reads NODE_OPTIONS first, then the command line (the order in which Node applies them)', () => {
    expect(nodeFlags(['--max-semi-space-size=4'], '  --max-semi-space-size=16  --trace-warnings ')).toEqual([
      '--max-semi-space-size=16',
      '--trace-warnings',
      '--max-semi-space-size=4',
    ]);
  });

  it('keeps only the flags that size the young generation', () => {
    expect(
      youngGenerationFlags(
        ['--enable-source-maps', '--semi_space_growth_factor=2'],
        '--min-semi-space-size=1 --inspect',
      ),
    ).toEqual(['--min-semi-space-size=1', '--semi_space_growth_factor=2']);
    expect(youngGenerationFlags([], undefined)).toEqual([]);
  });
});
