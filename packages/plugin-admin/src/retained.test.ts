import { describe, expect, it } from 'vitest';
import { MAX_SHOWN_PAYLOAD, retainedPage, retainedRow } from './retained.js';

describe('retained rows', () => {
  it('shows UTF-8 payloads as text, others as base64, with the expiry', () => {
    expect(retainedRow({ topic: 'a', payload: Buffer.from('héllo'), qos: 1, retain: true })).toEqual({
      topic: 'a',
      qos: 1,
      size: 6,
      payload: 'héllo',
      encoding: 'utf8',
      truncated: false,
      expiresAt: null,
    });
    const binary = retainedRow({
      topic: 'b',
      payload: Buffer.from([0xff, 0x00]),
      qos: 0,
      retain: true,
      expiresAt: Date.UTC(2030, 0, 1),
    });
    expect(binary).toMatchObject({ payload: '/wA=', encoding: 'base64', expiresAt: '2030-01-01T00:00:00.000Z' });
  });

  it('cuts big payloads, keeping text that a cut split in the middle of a character', () => {
    const big = Buffer.from('a'.repeat(MAX_SHOWN_PAYLOAD - 1) + 'é' + 'z');
    const row = retainedRow({ topic: 't', payload: big, qos: 0, retain: true });
    expect(row).toMatchObject({ size: MAX_SHOWN_PAYLOAD + 2, encoding: 'utf8', truncated: true });
    expect(row.payload).toBe('a'.repeat(MAX_SHOWN_PAYLOAD - 1));
  });

  it('pages messages sorted by topic', () => {
    const m = (topic: string) => ({ topic, payload: Buffer.from(topic), qos: 0 as const, retain: true });
    const page = retainedPage([m('c'), m('a'), m('b')], 1, 1);
    expect(page.total).toBe(3);
    expect(page.messages.map((r) => r.topic)).toEqual(['b']);
  });
});
