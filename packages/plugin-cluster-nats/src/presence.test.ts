import { describe, expect, it } from 'vitest';
import { Presence, presenceSubject } from './presence.js';

function presence() {
  let clock = 1_000_000;
  const sent: string[] = [];
  let deliver: ((data: Uint8Array) => void) | undefined;
  let subscribed: string | undefined;
  const p = new Presence({
    node: 'a',
    prefix: 'midge',
    intervalMs: 1000,
    send: (subject, data) => {
      sent.push(`${subject}=${Buffer.from(data).toString()}`);
      return true;
    },
    subscribe: (subject, onMessage) => {
      subscribed = subject;
      deliver = onMessage;
      return () => (deliver = undefined);
    },
    now: () => clock,
  });
  const hear = (node: string) => deliver?.(Buffer.from(node));
  return {
    p,
    sent,
    hear,
    subscribed: () => subscribed,
    tick: (ms: number) => (clock += ms),
    delivering: () => deliver !== undefined,
  };
}

describe('node presence', () => {
  it('announces this node at once and listens to every node', () => {
    const { p, sent, subscribed } = presence();
    expect(sent).toEqual(['midge.presence.a=a']);
    expect(subscribed()).toBe(presenceSubject('midge', '*'));
    p.close();
  });

  it('counts the nodes heard within three intervals, itself included', () => {
    const { p, hear, tick } = presence();
    hear('b');
    hear('c');
    expect(p.alive()).toEqual(['a', 'b', 'c']);
    tick(2000);
    hear('c');
    tick(1500);
    // b last heard 3.5 s ago: gone; c 1.5 s ago.
    expect(p.alive()).toEqual(['a', 'c']);
    expect(p.lastHeard('b')).toBe(1_000_000);
    expect(p.lastHeard('nobody')).toBeUndefined();
    hear('a'); // another process with this node name is not counted twice
    expect(p.alive()).toEqual(['a', 'c']);
    p.close();
  });

  it('stops listening when closed', () => {
    const { p, delivering } = presence();
    p.close();
    expect(delivering()).toBe(false);
  });
});
