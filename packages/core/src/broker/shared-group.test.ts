import { describe, expect, it } from 'vitest';
import type { QoS } from '../codec/packets.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { Connection } from './connection.js';
import { Session, type Subscriber } from './session.js';
import { SharedGroup } from './shared-group.js';

const info = (clientId: string): ClientInfo => ({
  clientId,
  username: undefined,
  protocolVersion: 5,
  listener: 'l',
  remoteAddress: '',
  remotePort: 0,
  secure: false,
});
/** A member; `online` gives its session a (stand-in) connection, which is all `pick` looks at. */
function member(clientId: string, online = true, qos: QoS = 0): Subscriber {
  const session = new Session(clientId, false, info(clientId));
  if (online) session.connection = {} as Connection;
  return { session, qos, noLocal: false, retainAsPublished: false, subscriptionId: undefined };
}
const picks = (g: SharedGroup, n: number): string[] =>
  Array.from({ length: n }, () => g.pick()?.session.clientId ?? '-');

describe('SharedGroup', () => {
  it('rotates over its members, one per pick', () => {
    const g = new SharedGroup('g', 't/#');
    for (const id of ['a', 'b', 'c']) expect(g.set(member(id))).toBe(true);
    expect(picks(g, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it("replaces a member's subscription in place (not a new member)", () => {
    const g = new SharedGroup('g', 't');
    g.set(member('a', true, 0));
    expect(g.set(member('a', true, 2))).toBe(false);
    expect(g.size).toBe(1);
    expect(g.pick()?.qos).toBe(2);
  });

  it('skips offline members while one is connected; falls back to rotating over offline ones', () => {
    const g = new SharedGroup('g', 't');
    g.set(member('a', false));
    g.set(member('b'));
    g.set(member('c', false));
    expect(picks(g, 3)).toEqual(['b', 'b', 'b']);
    g.delete('b');
    expect(picks(g, 4)).toEqual(['a', 'c', 'a', 'c']);
  });

  it('keeps rotating after removals, and an empty group picks nothing', () => {
    const g = new SharedGroup('g', 't');
    for (const id of ['a', 'b', 'c']) g.set(member(id));
    expect(picks(g, 2)).toEqual(['a', 'b']);
    expect(g.delete('c')).toBe(true);
    expect(g.delete('c')).toBe(false);
    expect(picks(g, 3)).toEqual(['a', 'b', 'a']);
    g.delete('a');
    g.delete('b');
    expect(g.size).toBe(0);
    expect(g.pick()).toBeUndefined();
  });
});
