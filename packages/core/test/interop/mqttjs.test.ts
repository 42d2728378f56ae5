import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { authenticated, challenge, definePlugin, deny } from '../../src/plugin-api/index.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { makeCerts, type TestCerts } from '../listeners/helpers.js';
import { until as untilWithin } from '../broker/helpers.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.cleanup());

let tb: TestBroker;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await tb.close();
});

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

function collect(c: MqttClient): Received[] {
  const out: Received[] = [];
  c.on('message', (topic, payload, packet) =>
    out.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }),
  );
  return out;
}

const until = (fn: () => boolean, ms = 3000): Promise<void> => untilWithin(fn, ms);

// tls and wss are listeners from config (`ssl: on` with certfile/keyfile); wss also asks for and checks a
// client certificate (require_certificate + cafile), which MQTT.js presents.
for (const transport of ['tcp', 'ws', 'tls', 'wss'] as const) {
  describe(`MQTT.js over ${transport}`, () => {
    const secure = transport === 'tls' || transport === 'wss';
    const tlsOptions = (): mqtt.IClientOptions =>
      !secure
        ? {}
        : {
            ca: readFileSync(certs.ca),
            rejectUnauthorized: true,
            ...(transport === 'wss'
              ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }
              : {}),
          };
    const start = async (): Promise<string> => {
      const listener = !secure
        ? { type: transport, bind: '127.0.0.1:0' }
        : {
            type: transport === 'tls' ? 'tcp' : 'ws',
            bind: '127.0.0.1:0',
            ssl: 'on',
            certfile: certs.serverCert,
            keyfile: certs.serverKey,
            ...(transport === 'wss' ? { require_certificate: true, cafile: certs.ca } : {}),
          };
      tb = await createTestBroker({ listeners: { default: listener } });
      const port = tb.broker.listeners()[0]!.port;
      const scheme = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' }[transport];
      return `${scheme}://127.0.0.1:${port}${transport === 'ws' || transport === 'wss' ? '/mqtt' : ''}`;
    };
    const open = async (url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> => {
      const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...tlsOptions(), ...opts });
      clients.push(c);
      return c;
    };

    it('publishes and receives at QoS 0, 1 and 2', async () => {
      const url = await start();
      const sub = await open(url, { clientId: 'sub' });
      const got = collect(sub);
      await sub.subscribeAsync('i/#', { qos: 2 });
      const pub = await open(url, { clientId: 'pub' });
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`i/${qos}`, `q${qos}`, { qos });
      await until(() => got.length === 3);
      expect(got.map((m) => [m.topic, m.payload, m.qos]).sort()).toEqual([
        ['i/0', 'q0', 0],
        ['i/1', 'q1', 1],
        ['i/2', 'q2', 2],
      ]);
    });

    it('delivers retained messages to later subscribers', async () => {
      const url = await start();
      const pub = await open(url);
      await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
      const sub = await open(url);
      const got = collect(sub);
      await sub.subscribeAsync('ret/#', { qos: 1 });
      await until(() => got.length === 1);
      expect(got[0]).toMatchObject({ topic: 'ret/a', payload: 'kept', retain: true, qos: 1 });
    });

    it('publishes the will of a client that drops', async () => {
      const url = await start();
      const sub = await open(url);
      const got = collect(sub);
      await sub.subscribeAsync('will/#', { qos: 1 });
      const dying = await open(url, { will: { topic: 'will/x', payload: Buffer.from('dead'), qos: 1, retain: false } });
      dying.stream.destroy();
      await until(() => got.length === 1);
      expect(got[0]).toMatchObject({ topic: 'will/x', payload: 'dead', qos: 1 });
    });

    it('resumes a persistent session with queued QoS 1 messages', async () => {
      const url = await start();
      const a = await open(url, { clientId: 'persist', clean: false });
      await a.subscribeAsync('p', { qos: 1 });
      await a.endAsync();
      const pub = await open(url);
      await pub.publishAsync('p', 'while away', { qos: 1 });
      // Queued messages follow CONNACK at once: listen before connecting.
      const b = mqtt.connect(url, { clientId: 'persist', clean: false, reconnectPeriod: 0, ...tlsOptions() });
      clients.push(b);
      const got = collect(b);
      await until(() => got.length === 1);
      expect(got[0]!.payload).toBe('while away');
    });
  });
}

describe('MQTT.js with protocolVersion 5', () => {
  it('connects, publishes at QoS 0/1/2 with user properties, and gets retained messages', async () => {
    tb = await createTestBroker();
    const opts: mqtt.IClientOptions = { protocolVersion: 5, reconnectPeriod: 0 };
    const sub = await mqtt.connectAsync(tb.url, { ...opts, clientId: 'sub5' });
    clients.push(sub);
    const got: { topic: string; qos: number; user: unknown; retain: boolean }[] = [];
    sub.on('message', (topic, _payload, packet) =>
      got.push({ topic, qos: packet.qos, user: packet.properties?.userProperties, retain: packet.retain }),
    );
    await sub.subscribeAsync('v5/#', { qos: 2 });
    const pub = await mqtt.connectAsync(tb.url, { ...opts, clientId: 'pub5' });
    clients.push(pub);
    for (const qos of [0, 1, 2] as const) {
      await pub.publishAsync(`v5/${qos}`, 'x', { qos, properties: { userProperties: { n: String(qos) } } });
    }
    await until(() => got.length === 3);
    got.sort((a, b) => a.topic.localeCompare(b.topic));
    expect(got.map((m) => [m.topic, m.qos, { ...(m.user as object) }])).toEqual([
      ['v5/0', 0, { n: '0' }],
      ['v5/1', 1, { n: '1' }],
      ['v5/2', 2, { n: '2' }],
    ]);
    await pub.publishAsync('v5/kept', 'r', { qos: 1, retain: true });
    const late = await mqtt.connectAsync(tb.url, { ...opts, clientId: 'late5' });
    clients.push(late);
    const lateGot: boolean[] = [];
    late.on('message', (_t, _p, packet) => lateGot.push(packet.retain));
    await late.subscribeAsync('v5/kept', { qos: 1 });
    await until(() => lateGot.length === 1);
    expect(lateGot[0]).toBe(true);
  });
});

describe('MQTT.js shared subscriptions ($share/{name}/{filter})', () => {
  it('splits the messages between two MQTT.js v5 members at QoS 1, each exactly once', async () => {
    tb = await createTestBroker();
    const opts: mqtt.IClientOptions = { protocolVersion: 5, reconnectPeriod: 0 };
    const members = await Promise.all(['w1', 'w2'].map((clientId) => mqtt.connectAsync(tb.url, { ...opts, clientId })));
    clients.push(...members);
    const got = members.map((m) => collect(m));
    for (const m of members) await m.subscribeAsync(['$share/workers/jobs/#', 'end'], { qos: 1 });
    const pub = await mqtt.connectAsync(tb.url, { ...opts, clientId: 'jobs-pub' });
    clients.push(pub);
    for (let i = 0; i < 20; i++) await pub.publishAsync(`jobs/${i}`, `job ${i}`, { qos: 1 });
    // To both members, after the jobs: a job sent twice would reach its member before this.
    await pub.publishAsync('end', 'end', { qos: 1 });
    await until(() => got.every((g) => g.some((m) => m.topic === 'end')));
    const all = [...got[0]!, ...got[1]!].filter((m) => m.topic !== 'end');
    // MQTT.js hands the topic of the message (not the $share filter) to the application.
    expect(all.map((m) => m.payload).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `job ${i}`).sort());
    expect(all.every((m) => m.topic.startsWith('jobs/') && m.qos === 1)).toBe(true);
    expect(got[0]!.length).toBe(11); // 10 jobs and 'end'
  });
});

describe('MQTT.js topic aliases', () => {
  it('autoAssignTopicAlias: MQTT.js sends aliases within the CONNACK maximum and subscribers get topic names', async () => {
    tb = await createTestBroker();
    const opts: mqtt.IClientOptions = { protocolVersion: 5, reconnectPeriod: 0 };
    const sub = await mqtt.connectAsync(tb.url, { ...opts, clientId: 'alias-sub' });
    clients.push(sub);
    const got = collect(sub);
    await sub.subscribeAsync('alias/#', { qos: 1 });
    const pub = await mqtt.connectAsync(tb.url, { ...opts, clientId: 'alias-pub', autoAssignTopicAlias: true });
    clients.push(pub);
    // MQTT.js read the maximum from CONNACK; without it autoAssignTopicAlias would not alias at all.
    const sent: { topic: string; alias: number | undefined }[] = [];
    pub.on('packetsend', (p) => {
      if (p.cmd === 'publish') sent.push({ topic: p.topic.toString(), alias: p.properties?.topicAlias });
    });
    for (let i = 0; i < 4; i++) await pub.publishAsync(i % 2 === 0 ? 'alias/even' : 'alias/odd', `n${i}`, { qos: 1 });
    for (let i = 4; i < 6; i++) await pub.publishAsync(i % 2 === 0 ? 'alias/even' : 'alias/odd', `n${i}`, { qos: 1 });
    await until(() => got.length === 6);
    expect(got.map((m) => `${m.topic} ${m.payload}`)).toEqual([
      'alias/even n0',
      'alias/odd n1',
      'alias/even n2',
      'alias/odd n3',
      'alias/even n4',
      'alias/odd n5',
    ]);
    // From the third PUBLISH on, MQTT.js sent only the alias (an empty topic name).
    expect(sent).toHaveLength(6);
    expect(sent.slice(2).every((p) => p.topic === '' && p.alias !== undefined)).toBe(true);
  });
});

describe('MQTT.js enhanced authentication (AUTH)', () => {
  it('completes a challenge/response exchange through MQTT.js handleAuth', async () => {
    const secret = Buffer.from('s3cret');
    const proof = (nonce: Buffer): Buffer => createHmac('sha256', secret).update(nonce).digest();
    const hmacAuth = definePlugin({
      name: 'hmac-auth',
      apiVersion: 1,
      setup: () => ({
        enhancedAuth: {
          methods: ['HMAC-SHA256'],
          step: ({ step, data, state }) => {
            if (step === 0) {
              const nonce = randomBytes(16);
              return challenge(nonce, nonce);
            }
            return data !== undefined && proof(state as Buffer).equals(data)
              ? authenticated(Buffer.from('ok'))
              : deny('bad proof', { reasonCode: 0x86 });
          },
        },
      }),
    });
    tb = await createTestBroker({}, { plugins: [hmacAuth] });
    const connectWith = (key: Buffer): Promise<MqttClient> =>
      new Promise((resolve, reject) => {
        const c = mqtt.connect(tb.url, {
          protocolVersion: 5,
          reconnectPeriod: 0,
          clientId: `mqttjs-${key.length}`,
          properties: { authenticationMethod: 'HMAC-SHA256' },
        });
        clients.push(c);
        c.handleAuth = (packet, callback) => {
          const nonce = packet.properties?.authenticationData as Buffer;
          callback(undefined, {
            cmd: 'auth',
            reasonCode: 0x18,
            properties: {
              authenticationMethod: 'HMAC-SHA256',
              authenticationData: createHmac('sha256', key).update(nonce).digest(),
            },
          });
        };
        c.once('connect', () => resolve(c));
        c.once('error', reject);
      });
    const ok = await connectWith(secret);
    expect(ok.connected).toBe(true);
    await expect(connectWith(Buffer.from('wrong secret'))).rejects.toMatchObject({ code: 0x86 });
  });
});
