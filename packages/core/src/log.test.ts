import { describe, expect, test } from 'vitest';
import { createLogger, nullLogger } from './log.js';

function sink(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe('createLogger', () => {
  test('writes JSON lines at or above the level', () => {
    const out = sink();
    const log = createLogger({ level: 'info', destination: out, name: 'midge' });
    log.debug('hidden');
    log.info({ port: 1883 }, 'listening');
    expect(out.lines).toHaveLength(1);
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 30, msg: 'listening', port: 1883, name: 'midge' });
    expect(log.isLevelEnabled('debug')).toBe(false);
    expect(log.isLevelEnabled('warn')).toBe(true);
  });

  test('child loggers carry their bindings', () => {
    const out = sink();
    createLogger({ level: 'trace', destination: out }).child({ plugin: 'acl' }).trace('x');
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 10, plugin: 'acl', msg: 'x' });
  });

  test("'silent' writes nothing", () => {
    const out = sink();
    const log = createLogger({ level: 'silent', destination: out });
    log.fatal('x');
    expect(out.lines).toEqual([]);
    expect(log.isLevelEnabled('fatal')).toBe(false);
  });

  test('pretty prints one readable line per record', () => {
    const out = sink();
    createLogger({ level: 'info', destination: out, pretty: true, name: 'midge' })
      .child({ plugin: 'sys' })
      .warn({ n: 1 }, 'slow');
    expect(out.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d WARN {2}midge\/sys: slow \{"n":1\}\n$/);
  });
});

test('nullLogger accepts every call and logs nothing', () => {
  nullLogger.info('x');
  nullLogger.error({ a: 1 }, 'y');
  expect(nullLogger.child({ a: 1 })).toBe(nullLogger);
  expect(nullLogger.isLevelEnabled('fatal')).toBe(false);
});
