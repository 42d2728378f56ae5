import { describe, expect, it } from 'vitest';
import { clientIdKey, clientIdOfKey, handoverSubject, registryBucket } from './registry-names.js';

describe('registry names', () => {
  it('derives the bucket from the subject prefix, dots made underscores (bucket names allow no dots)', () => {
    expect(registryBucket('midge')).toBe('midge_clients');
    expect(registryBucket('acme.mqtt')).toBe('acme_mqtt_clients');
  });

  it('keys any client id with KV-safe characters, and back', () => {
    for (const id of ['sensor-1', 'a.b.c', 'with space', '*', '>', 'ünïcode/✓', '-leading']) {
      const key = clientIdKey(id);
      expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(clientIdOfKey(key ?? '')).toBe(id);
    }
  });

  it('does not register an empty or overlong client id', () => {
    expect(clientIdKey('')).toBeUndefined();
    expect(clientIdKey('x'.repeat(1025))).toBeUndefined();
    expect(clientIdKey('x'.repeat(1024))).toBeDefined();
  });

  it('names the handover subject of a node under the prefix', () => {
    expect(handoverSubject('midge', 'node-a')).toBe('midge.handover.node-a');
  });
});
