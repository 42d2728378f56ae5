import { describe, expect, it } from 'vitest';
import { retainedRoot, retainedStream, retainedSubject } from './retained-names.js';
import { MAX_SUBJECT_BYTES } from './subject.js';

describe('names of the retained store', () => {
  it('derives the stream and the subjects from the prefix', () => {
    expect(retainedStream('midge')).toBe('midge_retained');
    expect(retainedStream('acme.mqtt')).toBe('acme_mqtt_retained');
    expect(retainedRoot('acme.mqtt')).toBe('acme.mqtt.retain');
  });

  it('maps a topic as message subjects are mapped, under the retain token', () => {
    const root = retainedRoot('midge');
    expect(retainedSubject(root, 'sensors/1/temp')).toBe('midge.retain.sensors.1.temp');
    // The escapes of subject.ts: an empty level, a dot, a space, a literal `*`.
    expect(retainedSubject(root, '/a//v1.2/x y/*')).toBe('midge.retain./.a./.v1//2.x/20y./2A');
    // Two topics never share a subject (one value per topic).
    expect(retainedSubject(root, 'a.b')).not.toBe(retainedSubject(root, 'a/b'));
  });

  it('gives no subject for a topic too long for NATS', () => {
    const root = retainedRoot('midge');
    const fits = 'x'.repeat(MAX_SUBJECT_BYTES - root.length - 1);
    expect(retainedSubject(root, fits)).toHaveLength(MAX_SUBJECT_BYTES);
    expect(retainedSubject(root, `${fits}x`)).toBeUndefined();
  });
});
