/**
 * Both loggers inside a real broker that loads them by package subpath, logging through the
 * broker's own pino logger into memory: levels and JSON format are the broker's.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@midge/mqtt-core';
import { RawClient, createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let tb: TestBroker | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

interface Line {
  level: number;
  msg: string;
  plugin?: string;
  event?: string;
  direction?: string;
  clientId?: string;
  packet?: Record<string, unknown>;
}
const INFO = 30;
const DEBUG = 20;

async function start(level: 'info' | 'debug', plugins: Record<string, unknown>) {
  const lines: Line[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } });
  tb = await createTestBroker({ plugins }, { searchDirs: [packageDir], logger });
  return { port: tb.port, lines };
}

async function session(port: number) {
  const c = await RawClient.connect(port);
  clients.push(c);
  const ack = await c.connect({ clientId: 'logged', username: 'u', password: Buffer.from('hunter2') });
  expect(ack.reasonCode).toBe(0);
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a/#', qos: 0 }] });
  await c.expectPacket('suback');
  c.send({ type: 'publish', topic: 'a/b', payload: Buffer.from('secret payload'), qos: 0, retain: false, dup: false });
  await c.expectPacket('publish');
  await c.disconnect();
  // The broker handles the disconnection (counted, then the event the plugins log) as the socket closes.
  await expect.poll(() => tb?.broker.stats().clientsDisconnected, { timeout: 2000 }).toBe(1);
}

describe('@midge/plugin-logging/event-logger', () => {
  it('logs client connected/disconnected at info and other events at debug, tagged with the plugin', async () => {
    const { port, lines } = await start('debug', { '@midge/plugin-logging/event-logger': null });
    await session(port);
    const mine = lines.filter((l) => l.plugin === '@midge/plugin-logging/event-logger');
    const byEvent = (e: string) => mine.filter((l) => l.event === e);
    expect(byEvent('client:connected')).toEqual([expect.objectContaining({ level: INFO, clientId: 'logged' })]);
    expect(byEvent('client:disconnected')).toEqual([
      expect.objectContaining({ level: INFO, clientId: 'logged', graceful: true }),
    ]);
    for (const e of ['client:subscribed', 'message:received', 'message:broadcast']) {
      expect(byEvent(e).length, e).toBeGreaterThan(0);
      expect(byEvent(e).every((l) => l.level === DEBUG)).toBe(true);
    }
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(JSON.stringify(lines)).not.toContain('secret payload');
  });

  it('at info level, only the connect and disconnect lines appear', async () => {
    const { port, lines } = await start('info', { '@midge/plugin-logging/event-logger': null });
    await session(port);
    const mine = lines.filter((l) => l.plugin === '@midge/plugin-logging/event-logger');
    expect(mine.map((l) => l.event)).toEqual(['client:connected', 'client:disconnected']);
  });
});

describe('@midge/plugin-logging/packet-logger', () => {
  it('logs every packet in and out at debug with direction and client id, password redacted', async () => {
    const { port, lines } = await start('debug', { '@midge/plugin-logging/packet-logger': null });
    await session(port);
    // Lines with a direction are packet lines (the host also logs the plugin's setup under its name).
    const mine = lines.filter((l) => l.plugin === '@midge/plugin-logging/packet-logger' && l.direction !== undefined);
    expect(mine.every((l) => l.level === DEBUG)).toBe(true);
    const seq = mine.map((l) => `${l.direction} ${String(l.packet?.type)}`);
    expect(seq).toEqual([
      'in connect',
      'out connack',
      'in subscribe',
      'out suback',
      'in publish',
      'out publish',
      'in disconnect',
    ]);
    const connect = mine[0]!;
    expect(connect.clientId).toBe('logged');
    // Not authenticated yet when the CONNECT is read: the username is redacted too (finding 5).
    expect(connect.packet).toMatchObject({ password: '<redacted>' });
    expect(connect.packet?.username).toMatch(/^<redacted: 1 chars, #[0-9a-f]{8}>$/);
    expect(mine[4]!.packet).toMatchObject({ topic: 'a/b', payloadBytes: 14 });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('costs nothing and logs nothing at info level', async () => {
    const { port, lines } = await start('info', { '@midge/plugin-logging/packet-logger': null });
    await session(port);
    expect(
      lines.filter((l) => l.plugin === '@midge/plugin-logging/packet-logger' && l.direction !== undefined),
    ).toEqual([]);
  });

  it('takes no options', async () => {
    await expect(start('info', { '@midge/plugin-logging/packet-logger': { verbose: true } })).rejects.toThrow(
      /verbose/,
    );
  });
});
