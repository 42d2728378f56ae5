import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MqttClient } from '../../src/client/index.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import { collect, hasMosquitto, MOSQUITTO, startMosquitto, type Mosquitto } from './helpers.js';

if (!hasMosquitto)
  console.warn(`skipping the mosquitto interop tests: ${MOSQUITTO} is not installed (apt-get install mosquitto)`);

describe.skipIf(!hasMosquitto && process.env.CI === undefined)('against a real mosquitto', () => {
  let mosq: Mosquitto;
  beforeAll(async () => {
    mosq = await startMosquitto();
  });
  afterAll(async () => {
    await mosq.stop();
  });

  for (const version of [3, 4, 5] as const) {
    it(`QoS 0/1/2 round trips (protocol level ${version})`, async () => {
      const sub = await connect(mosq.url, { protocolVersion: version });
      const pub = await connect(mosq.url, { protocolVersion: version });
      try {
        expect(await sub.subscribe(['m/0', 'm/1', 'm/2'], { qos: 2 })).toEqual([
          { topic: 'm/0', qos: 2 },
          { topic: 'm/1', qos: 2 },
          { topic: 'm/2', qos: 2 },
        ]);
        const got = collect(sub, 3);
        for (const qos of [0, 1, 2] as const) await pub.publish(`m/${qos}`, `v${version} q${qos}`, { qos });
        const msgs = (await got).sort((a, b) => a.topic.localeCompare(b.topic));
        expect(msgs.map((m) => [m.topic, m.qos, m.payload.toString()])).toEqual([
          ['m/0', 0, `v${version} q0`],
          ['m/1', 1, `v${version} q1`],
          ['m/2', 2, `v${version} q2`],
        ]);
      } finally {
        await sub.end();
        await pub.end();
      }
    });
  }

  it('retained message and will', async () => {
    const pub = await connect(mosq.url);
    await pub.publish('keep/1', 'stay', { qos: 1, retain: true });
    await pub.end();
    const sub = await connect(mosq.url);
    const got = collect(sub, 2);
    await sub.subscribe(['keep/#', 'will/#'], { qos: 1 });
    const dying = new MqttClient({ url: mosq.url, will: { topic: 'will/x', payload: 'bye', qos: 1 } });
    await dying.connect();
    await dying.end(true);
    const msgs = await got;
    expect(msgs.map((m) => [m.topic, m.retain, m.payload.toString()])).toEqual([
      ['keep/1', true, 'stay'],
      ['will/x', false, 'bye'],
    ]);
    await sub.end();
  });

  it('keepalive pings are answered', async () => {
    let answered!: () => void;
    const pingAnswered = new Promise<void>((resolve) => (answered = resolve));
    const spy = definePlugin({
      name: 'ping-spy',
      apiVersion: 1,
      runsIn: 'client',
      setup: () => ({ events: { 'packet:received': ({ packet }) => void (packet.type === 'pingresp' && answered()) } }),
    });
    const c = await connect(mosq.url, { keepalive: 1, pingDelay: 0.5, extraPlugins: [spy] });
    await pingAnswered;
    expect(c.connected).toBe(true);
    await c.end();
  });
});
