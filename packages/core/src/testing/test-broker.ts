/**
 * A broker on a free 127.0.0.1 port for tests. Its own module so that the plugin harness can build on it
 * without importing the "./testing" index that re-exports the harness.
 */
import { createBroker, type Broker, type BrokerOptions } from '../broker/broker.js';
import { nullLogger } from '../log.js';

export interface TestBroker {
  readonly broker: Broker;
  /** The TCP port the broker listens on (127.0.0.1). */
  readonly port: number;
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a broker on 127.0.0.1 with a free TCP port, no plugins unless given, and a silent logger.
 * `config` is merged over that base (YAML-shaped keys).
 */
export async function createTestBroker(
  config: Record<string, unknown> = {},
  options: BrokerOptions = {},
): Promise<TestBroker> {
  const broker = await createBroker(
    { listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } }, plugins: {}, ...config },
    { logger: nullLogger, ...options },
  );
  await broker.start();
  const first = broker.listeners()[0];
  if (first === undefined) throw new Error('createTestBroker: the config has no listener');
  return {
    broker,
    port: first.port,
    url: `mqtt://127.0.0.1:${first.port}`,
    close: () => broker.close(),
  };
}
