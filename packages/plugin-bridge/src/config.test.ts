import { issuePaths, validatePluginConfig } from '@midge/mqtt-core/testing';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.js';
import plugin from './index.js';

const validate = (input: unknown) => validatePluginConfig(plugin, input);
const bridge = (extra: Record<string, unknown> = {}) => ({
  bridges: { cloud: { url: 'mqtt://broker.example', topics: [{ filter: 'a/#' }], ...extra } },
});

describe('configSchema', () => {
  it('fills the defaults (Mosquitto-like: direction out, QoS 0, no prefixes; v5, persistent remote session)', () => {
    const config = v.parse(configSchema, bridge());
    expect(config.bridges.cloud).toMatchObject({
      protocol: 5,
      keepalive: 60,
      clean_start: false,
      session_expiry_interval: 3600,
      reconnect_delay_min: 1,
      reconnect_delay_max: 60,
      max_inflight: 20,
      insecure: false,
      topics: [{ filter: 'a/#', direction: 'out', qos: 0, local_prefix: '', remote_prefix: '' }],
    });
  });

  it('takes the issue example as written', async () => {
    const result = await validate({
      bridges: {
        cloud: {
          url: 'mqtts://broker.example:8883',
          client_id: 'edge-1',
          username: 'edge-1',
          password_file: './cloud.secret',
          protocol: 5,
          topics: [
            { filter: 'sensors/#', direction: 'out', qos: 1, remote_prefix: 'site1/' },
            { filter: 'commands/#', direction: 'in', qos: 1 },
          ],
        },
      },
    });
    expect(result.issues).toBeUndefined();
  });

  it.each([
    [{ bridges: {} }, 'bridges', /at least one bridge/],
    [{ bridges: { 'a/b': bridge().bridges.cloud } }, 'bridges.a/b', /bridge name/],
    [bridge({ url: 'http://x' }), 'bridges.cloud.url', /mqtt, mqtts, ws or wss/],
    [bridge({ topics: [] }), 'bridges.cloud.topics', /at least one topic/],
    [bridge({ topics: [{ filter: 'a/#/b' }] }), 'bridges.cloud.topics.0.filter', /./],
    [bridge({ topics: [{ filter: '$share/g/a' }] }), 'bridges.cloud.topics.0.filter', /shared/],
    [bridge({ topics: [{ filter: 'a', direction: 'up' }] }), 'bridges.cloud.topics.0.direction', /in', 'out'/],
    [bridge({ topics: [{ filter: 'a', qos: 3 }] }), 'bridges.cloud.topics.0.qos', /0, 1 or 2/],
    [bridge({ topics: [{ filter: 'a', remote_prefix: 'x/#/' }] }), 'bridges.cloud.topics.0.remote_prefix', /\+ #/],
    [bridge({ topics: [{ filter: 'a', pattern: 'b' }] }), 'bridges.cloud.topics.0.pattern', /./],
    [bridge({ protocol: 6 }), 'bridges.cloud.protocol', /3, 4 or 5/],
    [bridge({ password: 'x', password_file: 'f' }), 'bridges.cloud.password_file', /not both/],
    [bridge({ cert: 'c.pem' }), 'bridges.cloud.cert', /go together/],
    [bridge({ reconnect_delay_min: 10, reconnect_delay_max: 5 }), 'bridges.cloud.reconnect_delay_min', /above/],
    [bridge({ max_inflight: 0 }), 'bridges.cloud.max_inflight', /./],
    [bridge({ tls: true }), 'bridges.cloud.tls', /./],
    [{ ...bridge(), extra: 1 }, 'extra', /./],
  ])('refuses %j at %s', async (input, path, message) => {
    const result = await validate(input);
    expect(issuePaths(result)).toContain(path);
    const issue = result.issues?.find((i) => issuePaths({ issues: [i] })[0] === path);
    expect(issue?.message).toMatch(message);
  });
});
