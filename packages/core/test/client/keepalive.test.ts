import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from '../../src/client/index.js';
import type { Packet } from '../../src/codec/index.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { nextEvent, startFakeServer, type FakeServer } from './helpers.js';

let tb: TestBroker | undefined;
let fake: FakeServer | undefined;
let client: MqttClient | undefined;
afterEach(async () => {
  await client?.end(true);
  await tb?.close();
  await fake?.close();
  tb = fake = client = undefined;
});

describe('keepalive', () => {
  it('sends PINGREQ after keep_alive - ping_delay idle seconds and gets PINGRESP (seen by a client plugin)', async () => {
    tb = await createTestBroker();
    const seen: string[] = [];
    let answered!: () => void;
    const pingAnswered = new Promise<void>((resolve) => (answered = resolve));
    const spy = definePlugin({
      name: 'spy',
      apiVersion: 1,
      runsIn: 'client',
      setup: () => ({
        events: {
          'packet:sent': ({ packet, client: info }) => {
            expect(info?.clientId).toBe('pinger');
            seen.push(`-> ${packet.type}`);
          },
          'packet:received': ({ packet }) => {
            seen.push(`<- ${packet.type}`);
            if (packet.type === 'pingresp') answered();
          },
        },
      }),
    });
    client = await connect(tb.url, { clientId: 'pinger', keep_alive: 1, ping_delay: 0.5, extraPlugins: [spy] });
    await pingAnswered;
    expect(seen.slice(0, 4)).toEqual(['-> connect', '<- connack', '-> pingreq', '<- pingresp']);
    expect(client.connected).toBe(true);
  });

  it('a missing PINGRESP marks the connection dead, closes it and reconnects', async () => {
    // Answers CONNACK, never PINGRESP.
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    });
    client = await connect(fake.url, { keepalive: 1, pingDelay: 0, reconnectInitialDelay: 0.05 });
    const started = Date.now();
    const closed = nextEvent(client, 'offline', 5000);
    await closed;
    const elapsed = Date.now() - started;
    // PINGREQ at 1 s, then pingTimeout (= keepalive, 1 s) without answer.
    expect(elapsed).toBeGreaterThan(1800);
    expect(elapsed).toBeLessThan(3500);
    expect(fake.received.filter((r) => r.packet.type === 'pingreq').length).toBe(1);
    await nextEvent(client, 'connect');
    expect(fake.received.filter((r: { packet: Packet }) => r.packet.type === 'connect').length).toBe(2);
  });
});
