import { describe, expect, it } from 'vitest';
import { REDACTED, redactConfig } from './redact.js';

describe('redactConfig', () => {
  it('replaces secrets, keeps the paths to them, and drops what is not JSON', () => {
    const config = {
      listeners: { default: { bind: ':1883', keyfile: '/etc/midge/key.pem', ssl: true } },
      plugins: [
        {
          key: '@midge/plugin-bridge',
          config: {
            bridges: {
              cloud: {
                url: 'mqtts://edge:hunter2@broker.example:8883',
                password: 'hunter2',
                password_file: './cloud.secret',
                tls: { key: '-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n' },
              },
            },
          },
          positions: { locate: () => undefined },
        },
        { key: '@midge/plugin-cluster-nats', config: { pass: 'x', nkey_seed: 'SUAB', token: 42, user: 'midge' } },
        { key: '@midge/plugin-admin', config: { token_file: './admin.token', api_key: 'k' } },
      ],
    };
    expect(redactConfig(config)).toEqual({
      listeners: { default: { bind: ':1883', keyfile: '/etc/midge/key.pem', ssl: true } },
      plugins: [
        {
          key: '@midge/plugin-bridge',
          config: {
            bridges: {
              cloud: {
                url: `mqtts://edge:${REDACTED}@broker.example:8883`,
                password: REDACTED,
                password_file: './cloud.secret',
                tls: { key: REDACTED },
              },
            },
          },
          positions: {},
        },
        {
          key: '@midge/plugin-cluster-nats',
          config: { pass: REDACTED, nkey_seed: REDACTED, token: REDACTED, user: 'midge' },
        },
        { key: '@midge/plugin-admin', config: { token_file: './admin.token', api_key: REDACTED } },
      ],
    });
  });

  it('redacts secrets inside arrays, and survives cycles', () => {
    const loop: Record<string, unknown> = { secrets: ['a', 'b'], servers: ['nats://u:p@h:4222', 'nats://h2:4222'] };
    loop['self'] = loop;
    expect(redactConfig(loop)).toEqual({
      secrets: [REDACTED, REDACTED],
      servers: [`nats://u:${REDACTED}@h:4222`, 'nats://h2:4222'],
    });
  });
});
