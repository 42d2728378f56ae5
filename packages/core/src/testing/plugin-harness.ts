/**
 * Integration-testing a plugin package: a real broker on 127.0.0.1 that loads plugins by package
 * name from `packageDir` (a package can import itself by name), plus raw clients, all closed by
 * `close()`. Test-runner agnostic: call `close` from your runner's afterEach. Its functions do not use
 * `this`, so they can be destructured.
 *
 *   const h = pluginTestHarness(fileURLToPath(new URL('..', import.meta.url)));
 *   afterEach(() => h.close());
 *   await h.startBroker({ '@acme/midge-plugin-x': { option: 1 } });
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConnectPacket } from '../codec/packets.js';
import { createTestBroker, type TestBroker } from './test-broker.js';
import { RawClient } from './raw-client.js';

export interface PluginTestHarness {
  /** The package folder given to the harness: plugins are resolved from there. */
  readonly packageDir: string;
  /** A sibling workspace package's folder, e.g. to load `plugin-auth-anonymous` next to this one. */
  readonly siblingDir: (name: string) => string;
  /** Starts a broker with these `plugins:` (replacing a running one). */
  readonly startBroker: (plugins: Record<string, unknown>, searchDirs?: readonly string[]) => Promise<TestBroker>;
  /** Opens a connection and sends CONNECT; returns the client and the CONNACK code. */
  readonly connectClient: (
    options?: Partial<Omit<ConnectPacket, 'type'>>,
  ) => Promise<{ client: RawClient; code: number }>;
  /** Connects and throws unless the broker accepted (CONNACK 0). */
  readonly connected: (options?: Partial<Omit<ConnectPacket, 'type'>>) => Promise<RawClient>;
  /** SUBSCRIBE at QoS 1; returns the SUBACK codes (1 = granted QoS 1, 0x80 = refused). */
  readonly subscribe: (client: RawClient, ...topics: string[]) => Promise<number[]>;
  /** PUBLISH at QoS 0 (nothing to wait for). */
  readonly publish: (client: RawClient, topic: string, payload?: string, retain?: boolean) => void;
  /** Destroys every client and closes the broker. */
  readonly close: () => Promise<void>;
}

export function pluginTestHarness(packageDir: string): PluginTestHarness {
  let current: TestBroker | undefined;
  const clients: RawClient[] = [];
  let packetId = 0;
  const packageUrl = pathToFileURL(packageDir.endsWith('/') ? packageDir : `${packageDir}/`);

  const close = async (): Promise<void> => {
    for (const c of clients.splice(0)) c.destroy();
    const broker = current;
    current = undefined;
    await broker?.close();
  };

  const connectClient: PluginTestHarness['connectClient'] = async (options = {}) => {
    if (current === undefined) throw new Error('pluginTestHarness: startBroker first');
    const client = await RawClient.connect(current.port);
    clients.push(client);
    const connack = await client.connect({ clientId: `client-${clients.length}`, ...options });
    return { client, code: connack.reasonCode };
  };

  return {
    packageDir,
    siblingDir: (name) => fileURLToPath(new URL(`../${name}/`, packageUrl)),
    startBroker: async (plugins, searchDirs = [packageDir]) => {
      await close();
      current = await createTestBroker({ plugins }, { searchDirs });
      return current;
    },
    connectClient,
    connected: async (options) => {
      const { client, code } = await connectClient(options);
      if (code !== 0) throw new Error(`expected CONNACK 0, got ${code}`);
      return client;
    },
    subscribe: async (client, ...topics) => {
      packetId = (packetId % 0xffff) + 1;
      client.send({ type: 'subscribe', packetId, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) });
      return (await client.expectPacket('suback')).reasonCodes;
    },
    publish: (client, topic, payload = 'x', retain = false) => {
      client.send({ type: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain, dup: false });
    },
    close,
  };
}
