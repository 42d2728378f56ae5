/**
 * Starting a real broker that loads this package by its name, as a YAML config would.
 *
 * The broker resolves `plugins:` keys like Node does, with Node's export conditions plus any
 * `--conditions` given to the process (read from NODE_OPTIONS on first use). Tests run from source, so
 * the `midge-source` condition must be among them or the package would resolve to its unbuilt dist/:
 * this adds it for this test file's worker, like running the CLI with `--conditions=midge-source`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { RawClient, createTestBroker } from '@midge/mqtt-core/testing';
import type { TestBroker } from '@midge/mqtt-core/testing';
import type { ConnectPacket } from '@midge/mqtt-core';

/** This package's folder: the broker finds the package from there (a package can import itself). */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** A sibling workspace package's folder, to load it next to this one. */
export const siblingDir = (name: string): string => fileURLToPath(new URL(`../../${name}/`, import.meta.url));

let current: TestBroker | undefined;
const clients: RawClient[] = [];

beforeAll(() => {
  vi.stubEnv('NODE_OPTIONS', `${process.env.NODE_OPTIONS ?? ''} --conditions=midge-source`.trim());
});
afterAll(() => {
  vi.unstubAllEnvs();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await current?.close();
  current = undefined;
});

/** A broker on 127.0.0.1 with a free port and these `plugins:` (closed after each test). */
export async function startBroker(
  plugins: Record<string, unknown>,
  searchDirs: readonly string[] = [packageDir],
): Promise<TestBroker> {
  current = await createTestBroker(
    { listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } }, plugins },
    { searchDirs },
  );
  return current;
}

/** Opens a connection (closed after each test) and sends CONNECT; returns the client and the CONNACK code. */
export async function connectClient(
  options: Partial<Omit<ConnectPacket, 'type'>> = {},
): Promise<{ client: RawClient; code: number }> {
  if (current === undefined) throw new Error('startBroker first');
  const client = await RawClient.connect(current.port);
  clients.push(client);
  const connack = await client.connect({ clientId: `client-${clients.length}`, ...options });
  return { client, code: connack.reasonCode };
}

/** Connects and expects the broker to accept. */
export async function connected(options: Partial<Omit<ConnectPacket, 'type'>> = {}): Promise<RawClient> {
  const { client, code } = await connectClient(options);
  expect(code).toBe(0);
  return client;
}

let packetId = 0;

/** SUBSCRIBE at QoS 1; returns the SUBACK return codes (1 = granted QoS 1, 0x80 = refused). */
export async function subscribe(client: RawClient, ...topics: string[]): Promise<number[]> {
  packetId = (packetId % 0xffff) + 1;
  client.send({ type: 'subscribe', packetId, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) });
  return (await client.expectPacket('suback')).reasonCodes;
}

/** PUBLISH at QoS 0 (no acknowledgement to wait for). */
export function publish(client: RawClient, topic: string, payload = 'x', retain = false): void {
  client.send({ type: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain, dup: false });
}
