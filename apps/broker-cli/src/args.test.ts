import { describe, expect, it } from 'vitest';
import { editDistance, intFlag, parseCommandArgs, UsageError } from './args.js';

const options = {
  topic: { type: 'string', short: 't' },
  port: { type: 'string', short: 'p' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

describe('parseCommandArgs', () => {
  it('parses known flags', () => {
    const { values } = parseCommandArgs('sub', ['-t', 'a/b', '--port', '1884', '-v'], options);
    expect(values).toEqual({ topic: 'a/b', port: '1884', verbose: true });
  });

  it('rejects an unknown flag with the closest known one as a hint', () => {
    expect(() => parseCommandArgs('sub', ['--topik', 'x'], options)).toThrow(
      new UsageError("unknown option --topik (did you mean --topic?); see 'midge sub --help'"),
    );
  });

  it('counts a swap of two letters as one typo: --qso is --qos', () => {
    const qos = { qos: { type: 'string', short: 'q' }, quiet: { type: 'boolean' } } as const;
    expect(() => parseCommandArgs('pub', ['--qso', '1'], qos)).toThrow(
      "unknown option --qso (did you mean --qos?); see 'midge pub --help'",
    );
  });

  it('hints at a one-letter flag only for a wrong case', () => {
    expect(() => parseCommandArgs('sub', ['-T'], options)).toThrow(
      "unknown option -T (did you mean -t?); see 'midge sub --help'",
    );
    expect(() => parseCommandArgs('sub', ['-z'], options)).toThrow("unknown option -z; see 'midge sub --help'");
  });

  it('says why a flag of another tool is missing rather than guessing', () => {
    expect(() =>
      parseCommandArgs('sub', ['--psk', 'ab'], options, false, { '--psk': 'TLS-PSK is not supported' }),
    ).toThrow("--psk is not supported: TLS-PSK is not supported; see 'midge sub --help'");
  });

  it('takes a negative number as the value of a flag that wants one', () => {
    expect(parseCommandArgs('sub', ['-p', '-1', '--topic', '-5'], options).values).toEqual({ port: '-1', topic: '-5' });
    // A flag that takes no value leaves the next argument alone.
    expect(() => parseCommandArgs('sub', ['-v', '-1'], options)).toThrow(UsageError);
  });

  it('gives no hint when nothing is close', () => {
    expect(() => parseCommandArgs('sub', ['--zzzzzzzz'], options)).toThrow(
      "unknown option --zzzzzzzz; see 'midge sub --help'",
    );
  });

  it('rejects a string flag with no value', () => {
    expect(() => parseCommandArgs('sub', ['-t'], options)).toThrow(UsageError);
  });
});

describe('intFlag', () => {
  it('accepts integers in range and rejects others with the flag name', () => {
    expect(intFlag('--port', '1883', 0, 65535)).toBe(1883);
    expect(intFlag('--port', undefined, 0, 65535)).toBeUndefined();
    expect(() => intFlag('--port', '70000', 0, 65535)).toThrow('--port must be an integer from 0 to 65535');
    expect(() => intFlag('--port', '1.5', 0, 65535)).toThrow(UsageError);
  });
});

describe('editDistance', () => {
  it('counts single-character edits', () => {
    expect(editDistance('topic', 'topik')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('qso', 'qos')).toBe(1);
    expect(editDistance('retian', 'retain')).toBe(1);
  });
});
