import { describe, expect, it } from 'vitest';
import type { PublishPacket } from './packets.js';
import { TopicAliasTable } from './topic-alias-table.js';

const pub = (topic: string, topicAlias: number, extra: PublishPacket['properties'] = {}): PublishPacket => ({
  type: 'publish',
  topic,
  payload: Buffer.alloc(0),
  qos: 0,
  retain: false,
  dup: false,
  properties: { topicAlias, ...extra },
});

describe('TopicAliasTable', () => {
  it('sets an alias from a topic name, resolves an empty name, and re-points on a new name', () => {
    const t = new TopicAliasTable(3);
    const a = pub('x/y', 3, { contentType: 'text/plain' });
    expect(t.resolve(a, 3)).toBeUndefined();
    // The alias is gone from what is passed on; other properties stay.
    expect(a.properties).toEqual({ contentType: 'text/plain' });
    const b = pub('', 3);
    expect(t.resolve(b, 3)).toBeUndefined();
    expect(b.topic).toBe('x/y');
    expect(b.properties).toBeUndefined();
    t.resolve(pub('z', 3), 3);
    const c = pub('', 3);
    t.resolve(c, 3);
    expect(c.topic).toBe('z');
  });

  it('reports an alias above the maximum and an alias used before it was set, leaving the packet as it was', () => {
    const t = new TopicAliasTable(2);
    const above = pub('t', 3);
    expect(t.resolve(above, 3)).toBe('above-maximum');
    expect(above.properties?.topicAlias).toBe(3);
    expect(t.resolve(pub('', 1), 1)).toBe('unset');
    expect(new TopicAliasTable(0).resolve(pub('t', 1), 1)).toBe('above-maximum');
  });
});
