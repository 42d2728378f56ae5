/** `midge pub` / `midge sub` with `-D`: the MQTT 5 properties reach the broker in CONNECT, PUBLISH, SUBSCRIBE. */
import type { Packet } from '@midge/mqtt-core';
import { createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMidge } from './cli-process.js';

let tb: TestBroker;
const seen: Packet[] = [];
beforeEach(async () => {
  tb = await createTestBroker();
  seen.length = 0;
  tb.broker.on('packet:received', ({ packet }) => void seen.push(packet));
});
afterEach(async () => {
  await tb.close();
});

describe('-D: MQTT 5 properties', () => {
  it('sends CONNECT and PUBLISH properties from midge pub', async () => {
    const r = await runMidge([
      'pub',
      '-p',
      String(tb.port),
      '-V',
      '5',
      '-t',
      'd/x',
      '-m',
      '21.5',
      '-D',
      'connect',
      'user-property',
      'client',
      'cli',
      '-D',
      'publish',
      'user-property',
      'unit',
      'celsius',
      '-D',
      'publish',
      'content-type',
      'text/plain',
      '-D',
      'publish',
      'message-expiry-interval',
      '30',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const connect = seen.find((p) => p.type === 'connect');
    const publish = seen.find((p) => p.type === 'publish');
    expect(connect?.type === 'connect' ? connect.properties?.userProperties : undefined).toEqual([['client', 'cli']]);
    expect(publish?.type === 'publish' ? publish.properties : undefined).toEqual({
      userProperties: [['unit', 'celsius']],
      contentType: 'text/plain',
      messageExpiryInterval: 30,
    });
  });

  it('sends a SUBSCRIBE subscription identifier from midge sub, and refuses -D without -V 5', async () => {
    const r = await runMidge([
      'sub',
      '-p',
      String(tb.port),
      '-V',
      '5',
      '-t',
      'd/#',
      '-E',
      '-D',
      'subscribe',
      'subscription-identifier',
      '7',
    ]);
    expect(r.code).toBe(0);
    const subscribe = seen.find((p) => p.type === 'subscribe');
    expect(subscribe?.type === 'subscribe' ? subscribe.properties?.subscriptionIdentifier : undefined).toEqual([7]);
    const v3 = await runMidge([
      'pub',
      '-p',
      String(tb.port),
      '-t',
      'd/x',
      '-m',
      'x',
      '-D',
      'publish',
      'content-type',
      'a',
    ]);
    expect(v3.code).toBe(2);
    expect(v3.stderr).toMatch(/-D sets MQTT 5 properties: add -V 5/);
  });
});
