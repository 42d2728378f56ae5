import { describe, expect, it } from 'vitest';
import { TopicMap } from './topic-map.js';

const entry = (filter: string, direction: 'in' | 'out' | 'both', qos: 0 | 1 | 2, local = '', remote = '') => ({
  filter,
  direction,
  qos,
  local_prefix: local,
  remote_prefix: remote,
});

describe('TopicMap', () => {
  const map = new TopicMap([
    entry('sensors/#', 'out', 1, '', 'site1/'),
    entry('commands/#', 'in', 2, 'cloud/', ''),
    entry('shared/+', 'both', 0, 'l/', 'r/'),
    entry('sensors/#', 'out', 2, '', 'site1/'),
  ]);

  it('subscribes on the sending side with its prefix, once per filter at the highest QoS', () => {
    expect(map.subscriptions('out')).toEqual([
      { filter: 'sensors/#', qos: 2 },
      { filter: 'l/shared/+', qos: 0 },
    ]);
    expect(map.subscriptions('in')).toEqual([
      { filter: 'commands/#', qos: 2 },
      { filter: 'r/shared/+', qos: 0 },
    ]);
  });

  it('swaps the local prefix for the remote one going out, and back coming in', () => {
    expect(map.translate('sensors/t/1', 'out')).toBe('site1/sensors/t/1');
    expect(map.translate('commands/x', 'in')).toBe('cloud/commands/x');
    expect(map.translate('l/shared/a', 'out')).toBe('r/shared/a');
    expect(map.translate('r/shared/a', 'in')).toBe('l/shared/a');
  });

  it('carries nothing its lines do not name, in that direction', () => {
    expect(map.translate('commands/x', 'out')).toBeUndefined();
    expect(map.translate('sensors/t', 'in')).toBeUndefined();
    expect(map.translate('shared/a', 'out')).toBeUndefined();
    expect(map.translate('l/shared/a/b', 'out')).toBeUndefined();
  });
});
