/**
 * The bridge's local session goes through this broker's authentication and authorization like any
 * client: it logs in with local_username / local_password_file, and what it brings in is published with
 * its rights, so a message it may not publish is refused, acknowledged to the remote (a resend would be
 * refused again) and counted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allow, definePlugin, deny } from '@midge/mqtt-core';
import { createTestBroker, recordingLogger, type TestBroker } from '@midge/mqtt-core/testing';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { bridgeState, endClients, publisher, sleep, startRemote, subscriber, waitFor } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let dir = '';
let edge: TestBroker | undefined;
let remote: TestBroker | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-bridge-auth-'));
  await writeFile(join(dir, 'bridge.secret'), 'pw\n');
  await writeFile(join(dir, 'wrong.secret'), 'nope\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await endClients();
  await edge?.close();
  await remote?.close();
  edge = remote = undefined;
});

/** Clients of the `bridge` listener must be user `bridge` with password `pw`; `bridge` may not publish `down/secret`. */
const guard = definePlugin({
  name: 'test-guard',
  apiVersion: 1,
  setup: () => ({
    authenticate: ({ client, password }) =>
      client.listener !== 'bridge' || (client.username === 'bridge' && password?.toString() === 'pw')
        ? allow
        : deny('bad bridge credentials'),
    authorizeTopic: ({ client, action, topic }) =>
      client.username === 'bridge' && action === 'publish' && topic === 'down/secret' ? deny('secret') : allow,
  }),
});

async function edgeWith(passwordFile: string, logger = recordingLogger()): Promise<TestBroker> {
  if (remote === undefined) throw new Error('start the remote first');
  return createTestBroker(
    {
      plugins: {
        '@midge/plugin-bridge': {
          bridges: {
            cloud: {
              url: remote.url,
              client_id: 'edge-1',
              reconnect_delay_min: 0.05,
              local_username: 'bridge',
              local_password_file: passwordFile,
              topics: [{ filter: 'down/#', direction: 'in', qos: 1 }],
            },
          },
        },
      },
    },
    { searchDirs: [packageDir], logger, plugins: [guard] },
  );
}

it('logs in with its local credentials and publishes with their rights: a refused message is acknowledged and counted', async () => {
  remote = await startRemote();
  edge = await edgeWith(join(dir, 'bridge.secret'));
  const e = edge;
  await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
  await waitFor(
    () => e.broker.api.sessions().some((s) => s.clientId === '$bridge/cloud' && s.connected && s.username === 'bridge'),
    'the local session logged in as bridge',
  );
  const atEdge = await subscriber(e.url, ['down/#'], { qos: 1 });
  const pub = await publisher(remote.url);
  await pub.publish('down/secret', 'no', { qos: 1 });
  await pub.publish('down/ok', 'yes', { qos: 1 });
  await waitFor(() => atEdge.messages.length === 1, 'the allowed message');
  await sleep(200);
  expect(atEdge.messages.map((m) => m.topic)).toEqual(['down/ok']);
  const refused = e.broker.api
    .pluginMetrics()
    .flatMap((p) => p.metrics)
    .find((m) => m.name === 'bridge_dropped_messages_total' && m.labels?.reason === 'refused');
  expect(refused?.value).toBe(1);
  // Acknowledged to the remote: nothing left in flight for the bridge's session there.
  const r = remote;
  await waitFor(() => r.broker.api.sessions().find((s) => s.clientId === 'edge-1')?.inflight === 0, 'no inflight');
});

it('with a wrong local password the local session is refused and says so in the log', async () => {
  remote = await startRemote();
  const logger = recordingLogger();
  edge = await edgeWith(join(dir, 'wrong.secret'), logger);
  await waitFor(
    () => logger.records.some((r) => r.level === 'warn' && /bridge cannot connect/.test(r.msg)),
    'the warning',
  );
  expect(edge.broker.api.sessions().some((s) => s.clientId === '$bridge/cloud' && s.connected)).toBe(false);
});
