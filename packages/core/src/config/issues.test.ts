import { describe, expect, test } from 'vitest';
import { closestKey, describeValue, formatPath } from './issues.js';

describe('formatPath', () => {
  test('plain keys are dotted, odd keys quoted, indexes bracketed', () => {
    expect(formatPath(['listeners', 'default', 'bind'])).toBe('listeners.default.bind');
    expect(formatPath(['plugins', '@midge/plugin-sys', 'sys_interval'])).toBe('plugins.@midge/plugin-sys.sys_interval');
    expect(formatPath(['plugins', 'amqtt.plugins.sys.broker.BrokerSysPlugin'])).toBe(
      'plugins["amqtt.plugins.sys.broker.BrokerSysPlugin"]',
    );
    expect(formatPath(['auth', 'plugins', 0])).toBe('auth.plugins[0]');
    expect(formatPath([])).toBe('');
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
    expect(closestKey('colour', keys)).toBeUndefined();
  });
});
