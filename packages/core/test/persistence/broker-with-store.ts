import { afterEach } from 'vitest';
import { createTestBroker, RawClient, type TestBroker } from '../../src/testing/index.js';
import type { GatedStore } from './gated-store.js';

/**
 * Brokers on a GatedStore and raw clients for the persistence tests, closed after each test: call once at
 * the top of a test file.
 */
export function brokersWithStore(): {
  broker: (store: GatedStore, config?: Record<string, unknown>) => Promise<TestBroker>;
  client: (tb: TestBroker, clientId: string, options?: Record<string, unknown>) => Promise<RawClient>;
} {
  const opened: { brokers: TestBroker[]; clients: RawClient[] } = { brokers: [], clients: [] };
  afterEach(async () => {
    for (const c of opened.clients.splice(0)) c.destroy();
    for (const b of opened.brokers.splice(0)) await b.close();
  });
  return {
    broker: async (store, config = {}) => {
      const tb = await createTestBroker(config, { persistence: store });
      opened.brokers.push(tb);
      return tb;
    },
    client: async (tb, clientId, options = {}) => {
      const c = await RawClient.connect(tb.port);
      opened.clients.push(c);
      const ack = await c.connect({ clientId, ...options });
      if (ack.reasonCode !== 0) throw new Error(`CONNACK ${ack.reasonCode}`);
      return c;
    },
  };
}
