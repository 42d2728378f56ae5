/**
 * A graceful restart with 100,000 queued messages across 1,000 persistent sessions restores all of them
 * (issue 12), from a real LMDB store, and says so in the start log.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBroker, nullLogger, type Logger } from '@midge/mqtt-core';
import { RawClient } from '@midge/mqtt-core/testing';
import { LmdbPersistence } from '../src/index.js';

const SESSIONS = 1_000;
const MESSAGES = 100;

/** A logger that keeps the info lines (the restore summary) and drops the rest. */
function infoLines(lines: string[]): Logger {
  const logger: Logger = {
    ...nullLogger,
    info: (a: string | object, b?: string) => void lines.push(typeof a === 'string' ? a : (b ?? '')),
    child: () => logger,
  };
  return logger;
}

const CONFIG = {
  listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } },
  plugins: {},
  max_queued_messages: 1000,
} as const;

describe('graceful restart on LMDB', () => {
  it(
    `restores ${SESSIONS.toLocaleString('en')} sessions with ${(SESSIONS * MESSAGES).toLocaleString('en')} queued messages`,
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'midge-lmdb-restart-'));
      // The sessions as a previous broker left them: persistent, offline, subscribed.
      const seed = new LmdbPersistence({ path: dir, sync: 'batch' });
      await seed.open();
      const now = Date.now();
      await Promise.all(
        Array.from({ length: SESSIONS }, (_, i) =>
          seed.saveSession({
            clientId: `device-${i}`,
            subscriptions: [{ topic: 'fleet/#', qos: 1 }],
            queue: [],
            inflight: [],
            inboundQos2: [],
            disconnectedAt: now,
            username: null,
            protocolVersion: 4,
          }),
        ),
      );
      await seed.close();

      const first = await createBroker(CONFIG, {
        persistence: new LmdbPersistence({ path: dir, sync: 'batch' }),
        logger: nullLogger,
      });
      await first.start();
      // Each QoS 1 publish resolves once its 1,000 queued deliveries are stored.
      for (let m = 0; m < MESSAGES; m++)
        await first.publish({ topic: 'fleet/update', payload: `m${m}`, qos: 1 }, { trusted: true });
      expect(first.stats().messagesStored).toBe(SESSIONS * MESSAGES);
      await first.close();

      const lines: string[] = [];
      const second = await createBroker(CONFIG, {
        persistence: new LmdbPersistence({ path: dir, sync: 'batch' }),
        logger: infoLines(lines),
      });
      await second.start();
      try {
        expect(second.sessionCount()).toBe(SESSIONS);
        expect(second.stats().messagesStored).toBe(SESSIONS * MESSAGES);
        expect(lines.find((l) => l.startsWith('restored'))).toMatch(
          /^restored 1,000 sessions, 100,000 queued messages, 0 retained, 0 wills in \d+\.\d s$/,
        );
        // One device comes back and gets its 100 messages, in order.
        const port = second.listeners()[0]?.port ?? 0;
        const c = await RawClient.connect(port);
        expect(await c.connect({ clientId: 'device-7', clean: false })).toMatchObject({ sessionPresent: true });
        for (let m = 0; m < MESSAGES; m++) {
          const p = await c.expectPacket('publish');
          expect(p.payload.toString()).toBe(`m${m}`);
          if (p.packetId !== undefined) c.send({ type: 'puback', packetId: p.packetId });
        }
        c.destroy();
      } finally {
        await second.close();
      }
    },
  );
});
