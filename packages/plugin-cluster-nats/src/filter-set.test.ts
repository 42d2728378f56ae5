import { topicMatchesFilter } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { FilterSet } from './filter-set.js';

describe('FilterSet', () => {
  it('matches as MQTT filters do [MQTT-4.7]', () => {
    const filters = ['a/b', 'a/+/c', 'x/#', '+', '+/+/z', 'sport/tennis/#', '$SYS/#', 'q/+/#'];
    const topics = [
      'a/b',
      'a/x/c',
      'a/x/d',
      'x',
      'x/y/z',
      'one',
      'one/two',
      'p/q/z',
      'sport/tennis',
      'sport',
      '$SYS/broker',
      '$SYS',
      '$other/a',
      'q/1',
      'q',
      'q/1/2/3',
      'a/b/c',
      '/',
      '/a',
      'a/',
    ];
    for (const filter of filters) {
      const set = new FilterSet();
      set.add(filter);
      for (const topic of topics)
        expect(set.matches(topic), `${filter} ~ ${topic}`).toBe(topicMatchesFilter(filter, topic));
    }
    const all = new FilterSet();
    for (const filter of filters) all.add(filter);
    for (const topic of topics)
      expect(all.matches(topic), topic).toBe(filters.some((f) => topicMatchesFilter(f, topic)));
  });

  it('counts each filter: it matches until its last count is removed, and prunes what is left', () => {
    const set = new FilterSet();
    set.add('a/+/c');
    set.add('a/+/c');
    set.add('a/#');
    expect(set.size).toBe(2);
    set.remove('a/#');
    expect(set.matches('a/b/c')).toBe(true);
    expect(set.matches('a/b')).toBe(false);
    set.remove('a/+/c');
    expect(set.matches('a/b/c')).toBe(true);
    set.remove('a/+/c');
    set.remove('never/added');
    expect(set.matches('a/b/c')).toBe(false);
    expect(set.size).toBe(0);
  });
});
