import { describe, expect, it } from 'vitest';
import { CodecError, MidgeError } from './errors.js';

describe('CodecError', () => {
  it('carries code, reason code and spec rule, and names the rule in its message', () => {
    const err = new CodecError('CODEC_MALFORMED', 'QoS 3 is not allowed', 0x81, 'MQTT-3.3.1-4');
    expect(err).toBeInstanceOf(MidgeError);
    expect(err.code).toBe('CODEC_MALFORMED');
    expect(err.reasonCode).toBe(0x81);
    expect(err.specRule).toBe('MQTT-3.3.1-4');
    expect(err.message).toBe('QoS 3 is not allowed [MQTT-3.3.1-4]');
  });
});
