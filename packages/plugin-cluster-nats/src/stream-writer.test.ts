import { describe, expect, it } from 'vitest';
import { ackProblem } from './stream-writer.js';

const bytes = (s: string): Uint8Array => Buffer.from(s);

describe("JetStream's answers to a write", () => {
  it('take an acknowledgement with a sequence number, and name what else came', () => {
    expect(ackProblem(bytes('{"stream":"midge_session_messages","seq":42}'))).toBeUndefined();
    expect(ackProblem(bytes('{"stream":"s","seq":3,"duplicate":true}'))).toBeUndefined();
    expect(ackProblem(new Uint8Array(0))).toMatch(/did not answer/);
    expect(ackProblem(bytes('{"error":{"code":503,"description":"no suitable peers"}}'))).toBe(
      'JetStream refused the message: no suitable peers (503)',
    );
    expect(ackProblem(bytes('not json'))).toMatch(/not JSON/);
    expect(ackProblem(bytes('{"stream":"s"}'))).toMatch(/without a sequence number/);
  });
});
