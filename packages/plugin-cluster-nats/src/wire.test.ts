import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket } from '@midge/mqtt-core/codec';
import type { Message, QoS } from '@midge/mqtt-core';
import { WIRE_FORMAT_VERSION, decodeClusterMessage, encodeClusterMessage, redeliveredCopy } from './wire.js';

const roundTrip = (message: Message, node = 'node-a') => decodeClusterMessage(encodeClusterMessage(message, node));

describe('encodeClusterMessage / decodeClusterMessage', () => {
  for (const qos of [0, 1, 2] as QoS[]) {
    for (const retain of [false, true]) {
      it(`round-trips a QoS ${qos} message with retain=${retain}`, () => {
        const message: Message = { topic: 'sensors/1/temp', payload: Buffer.from('21.5'), qos, retain };
        expect(roundTrip(message)).toEqual({ node: 'node-a', message, redelivered: false });
      });
    }
  }

  it('round-trips an empty payload and every byte value', () => {
    expect(roundTrip({ topic: 'a', payload: Buffer.alloc(0), qos: 1, retain: true }).message.payload.length).toBe(0);
    const payload = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
    expect(roundTrip({ topic: 'bin', payload, qos: 0, retain: false }).message.payload).toEqual(payload);
  });

  it('round-trips the v5 properties of the message, user properties in order', () => {
    const properties = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 3600,
      contentType: 'application/json; charset=utf-8',
      responseTopic: 'replies/42',
      correlationData: Buffer.from([0, 1, 2, 255]),
      userProperties: [
        ['trace', 'abc'],
        ['unit', '°C'],
        ['trace', 'def'],
      ] as [string, string][],
    };
    const message: Message = { topic: 'x', payload: Buffer.from('{}'), qos: 2, retain: false, properties };
    expect(roundTrip(message).message).toEqual(message);
  });

  it('leaves out the per-connection Topic Alias and the per-receiver Subscription Identifiers', () => {
    const message: Message = {
      topic: 't',
      payload: Buffer.from('p'),
      qos: 1,
      retain: false,
      properties: { topicAlias: 3, subscriptionIdentifier: [7], contentType: 'text/plain' },
    };
    expect(roundTrip(message).message.properties).toEqual({ contentType: 'text/plain' });
    const onlyPerConnection: Message = { ...message, properties: { topicAlias: 3, subscriptionIdentifier: [7] } };
    expect(roundTrip(onlyPerConnection).message).not.toHaveProperty('properties');
  });

  it('carries node ids up to 255 bytes and refuses longer ones', () => {
    const message: Message = { topic: 't', payload: Buffer.from('p'), qos: 0, retain: false };
    expect(roundTrip(message, 'n'.repeat(255)).node).toBe('n'.repeat(255));
    expect(() => encodeClusterMessage(message, 'n'.repeat(256))).toThrow(/256 bytes/);
  });

  it('lays out version 1 without an id: version, node id length, node id, an MQTT 5 PUBLISH packet', () => {
    const message: Message = { topic: 'a/b', payload: Buffer.from('hi'), qos: 1, retain: true };
    const frame = encodeClusterMessage(message, 'node');
    expect(frame[0]).toBe(1);
    expect(frame[1]).toBe(4);
    expect(frame.subarray(2, 6).toString()).toBe('node');
    // Decoded by the codec on its own, as another implementation would.
    expect(decodePacket(frame.subarray(6), 5)).toEqual({
      type: 'publish',
      topic: 'a/b',
      payload: Buffer.from('hi'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 1,
    });
  });

  it('lays out version 2 with the id: flags, incarnation and sequence after the node id (the documented format)', () => {
    const message: Message = { topic: 'a/b', payload: Buffer.from('hi'), qos: 1, retain: true };
    const id = { incarnation: 0xdeadbeef, seq: 2 ** 40 + 5 };
    const frame = encodeClusterMessage(message, 'node', id);
    expect(frame[0]).toBe(WIRE_FORMAT_VERSION);
    expect(frame[0]).toBe(2);
    expect(frame[1]).toBe(4);
    expect(frame.subarray(2, 6).toString()).toBe('node');
    expect(frame[6]).toBe(0);
    expect(frame.readUInt32BE(7)).toBe(0xdeadbeef);
    expect(frame.readUIntBE(11, 6)).toBe(2 ** 40 + 5);
    expect(decodeClusterMessage(frame)).toEqual({ node: 'node', message, id, redelivered: false });
    // Sent again: a marked copy, the original untouched.
    const again = redeliveredCopy(frame);
    expect(again[6]).toBe(1);
    expect(frame[6]).toBe(0);
    expect(decodeClusterMessage(again)).toEqual({ node: 'node', message, id, redelivered: true });
    expect(decodePacket(frame.subarray(17), 5)).toEqual(
      decodePacket(encodeClusterMessage(message, 'node').subarray(6), 5),
    );
  });

  it('copies the payload: changing the source buffer afterwards does not change the frame', () => {
    const payload = Buffer.from('original');
    const frame = encodeClusterMessage({ topic: 't', payload, qos: 0, retain: false }, 'n');
    payload.fill(0);
    expect(decodeClusterMessage(frame).message.payload.toString()).toBe('original');
  });
});

describe('decodeClusterMessage refuses malformed input', () => {
  const valid = encodeClusterMessage(
    { topic: 'sensors/1', payload: Buffer.from('payload'), qos: 1, retain: false },
    'node-a',
  );

  it('throws on every truncation of a valid message, and on bytes after the packet', () => {
    const withId = encodeClusterMessage(
      { topic: 'sensors/1', payload: Buffer.from('payload'), qos: 1, retain: false },
      'node-a',
      { incarnation: 1, seq: 1 },
    );
    for (const frame of [valid, withId]) {
      for (let length = 0; length < frame.length; length++) {
        expect(() => decodeClusterMessage(frame.subarray(0, length)), `first ${length} bytes`).toThrow();
      }
      expect(() => decodeClusterMessage(Buffer.concat([frame, Buffer.from([0])]))).toThrow();
    }
  });

  it('throws on a format version other than 1 and 2', () => {
    for (const version of [0, 3, 255]) {
      const frame = Buffer.from(valid);
      frame[0] = version;
      expect(() => decodeClusterMessage(frame)).toThrow(new RegExp(`format version ${version}`));
    }
  });

  it('throws on a node id that is not UTF-8, a packet other than PUBLISH, and garbage', () => {
    expect(() => decodeClusterMessage(Buffer.concat([Buffer.from([1, 2, 0xc3, 0x28]), valid.subarray(8)]))).toThrow();
    const ping = Buffer.concat([Buffer.from([1, 1, 0x61]), encodePacket({ type: 'pingreq' }, 5)]);
    expect(() => decodeClusterMessage(ping)).toThrow(/PUBLISH/);
    expect(() => decodeClusterMessage(Buffer.from('{"topic":"t","payload":"x"}'))).toThrow();
  });
});
