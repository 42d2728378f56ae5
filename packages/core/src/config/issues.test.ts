import { describe, expect, test } from 'vitest';
import { closestKey, describeValue, editDistance, formatPath, parsePath, unknownKeyMessage } from './issues.js';

describe('formatPath', () => {
  test('plain keys are dotted, keys YAML makes you quote are quoted as in YAML, indexes bracketed', () => {
    expect(formatPath(['listeners', 'default', 'bind'])).toBe('listeners.default.bind');
    expect(formatPath(['plugins', '@midge/plugin-sys', 'sys_interval'])).toBe(
      "plugins.'@midge/plugin-sys'.sys_interval",
    );
    expect(formatPath(['plugins', 'amqtt.plugins.sys.broker.BrokerSysPlugin'])).toBe(
      "plugins.'amqtt.plugins.sys.broker.BrokerSysPlugin'",
    );
    expect(formatPath(['plugins', './my plugin.js'])).toBe("plugins.'./my plugin.js'");
    expect(formatPath(['acl', "o'brien"])).toBe("acl.'o''brien'");
    expect(formatPath(['auth', 'plugins', 0])).toBe('auth.plugins[0]');
    expect(formatPath(['$SYS', 'jean-luc', 'a/b'])).toBe('$SYS.jean-luc.a/b');
    expect(formatPath([])).toBe('');
  });
});

describe('parsePath', () => {
  test('reads back what formatPath writes', () => {
    for (const segments of [
      ['listeners', 'default', 'bind'],
      ['plugins', '@midge/plugin-auth-file', 'allow_anonymus'],
      ['plugins', 'amqtt.plugins.sys.broker.BrokerSysPlugin', 'x', 0, 12],
      ['acl', "o'brien", '', 'a.b'],
      ['1883', 2],
      [],
    ]) {
      expect(parsePath(formatPath(segments))).toEqual(segments);
    }
  });

  test('refuses what formatPath cannot have written', () => {
    for (const bad of ["plugins.'open", 'a..b', 'a[x]', 'a[1', '.a', "a'b'"]) expect(parsePath(bad)).toBeUndefined();
  });
});

describe('editDistance', () => {
  test('counts a swap of neighbours as one typo (Damerau)', () => {
    expect(editDistance('topic', 'tpoic')).toBe(1);
    expect(editDistance('tabo', 'taboo')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('unknownKeyMessage', () => {
  test('suggests the closest key, else lists the known ones', () => {
    expect(unknownKeyMessage('allow_anonymus', ['allow_anonymous'], 'option')).toBe(
      "unknown option 'allow_anonymus' (did you mean 'allow_anonymous'?)",
    );
    expect(unknownKeyMessage('colour', ['type', 'bind'])).toBe("unknown key 'colour' (expected one of: type, bind)");
    expect(unknownKeyMessage('colour', [], 'option')).toBe("unknown option 'colour'");
  });
});

describe('describeValue', () => {
  test('values as a user would write them', () => {
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue(5)).toBe('5');
    expect(describeValue(null)).toBe('nothing');
    expect(describeValue([1])).toBe('a list');
    expect(describeValue({})).toBe('a mapping');
    expect(describeValue('y'.repeat(100))).toHaveLength(62);
  });
});

describe('closestKey', () => {
  const keys = ['max_connections', 'type', 'bind', 'ssl'];
  test('suggests near misses only', () => {
    expect(closestKey('max_conections', keys)).toBe('max_connections');
    expect(closestKey('max-connection', keys)).toBe('max_connections');
    expect(closestKey('typ', keys)).toBe('type');
    expect(closestKey('max_conenctions', keys)).toBe('max_connections');
    expect(closestKey('colour', keys)).toBeUndefined();
  });
});
