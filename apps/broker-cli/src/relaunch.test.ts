import { describe, expect, it } from 'vitest';
import { isSignalRelay, relaunchArgs, runsBroker } from './relaunch.js';

describe('runsBroker (the same rule as cli.ts)', () => {
  it.each([
    [[], true],
    [['broker', '-c', 'x.yaml'], true],
    [['-c', 'x.yaml'], true],
    [['--check'], true],
    [['--help'], false],
    [['-V'], false],
    [['pub', '-t', 't'], false],
    [['sub'], false],
    [['passwd'], false],
  ])('%j: %s', (argv, expected) => {
    expect(runsBroker(argv)).toBe(expected);
  });
});

describe('relaunchArgs', () => {
  it("keeps Node's own flags, adds the young-generation size, then the script and its arguments", () => {
    expect(relaunchArgs('/m.js', ['-c', 'b.yaml'], ['--enable-source-maps'], '--trace-warnings')).toEqual([
      '--enable-source-maps',
      '--max-semi-space-size=4',
      '/m.js',
      '-c',
      'b.yaml',
    ]);
  });

  it.each([
    [['--max-semi-space-size=4'], undefined, 'the relaunched process itself'],
    [['--max_semi_space_size=16'], undefined, 'a size on the command line'],
    [[], '--max-semi-space-size=8', 'a size in NODE_OPTIONS'],
    [[], '--min-semi-space-size=2', 'a minimum'],
    [[], '--semi-space-growth-factor=1', 'a growth factor'],
  ])(
    'relaunches nothing when Node was started with %j / %j (%s)',
    (execArgv: string[], nodeOptions: string | undefined, _why: string) => {
      expect(relaunchArgs('/m.js', [], execArgv, nodeOptions)).toBeUndefined();
    },
  );

  it('relaunches nothing under a debugger (--inspect, --inspect-brk, in NODE_OPTIONS too)', () => {
    expect(relaunchArgs('/m.js', [], ['--inspect-brk'], undefined)).toBeUndefined();
    expect(relaunchArgs('/m.js', [], [], '--inspect=9230')).toBeUndefined();
  });

  it('relaunches nothing for the short-lived commands', () => {
    expect(relaunchArgs('/m.js', ['pub', '-t', 't', '-m', 'x'], [], undefined)).toBeUndefined();
  });
});

describe('isSignalRelay', () => {
  it('accepts only the relayed signals with a count', () => {
    expect(isSignalRelay({ midgeSignal: 'SIGHUP', count: 1 })).toBe(true);
    expect(isSignalRelay({ midgeSignal: 'SIGKILL', count: 1 })).toBe(false);
    expect(isSignalRelay({ midgeSignal: 'SIGHUP' })).toBe(false);
    expect(isSignalRelay(null)).toBe(false);
  });
});
