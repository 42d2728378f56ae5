import { afterEach, describe, it } from 'vitest';
import { createTestBroker, RawClient, type TestBroker } from '../../src/testing/index.js';
import { until } from '../broker/helpers.js';

let tb: TestBroker;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb.close();
});

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(tb.port);
  clients.push(c);
  return c;
}

/** The broker still serves a fresh client end to end. */
async function stillWorks(): Promise<void> {
  const sub = await client();
  await sub.connect({ clientId: 'sub' });
  sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'ok', qos: 1 }] });
  await sub.expectPacket('suback');
  const pub = await client();
  await pub.connect({ clientId: 'pub' });
  pub.send({
    type: 'publish',
    topic: 'ok',
    payload: Buffer.from('fine'),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 1,
  });
  await pub.expectPacket('puback');
  await sub.expectPacket('publish');
}

const CONNECT = Buffer.from('100d00044d5154540402003c000161', 'hex');

describe('bad input closes only that connection', () => {
  const cases: [string, Buffer[]][] = [
    ['garbage bytes', [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]],
    ['an oversize remaining length (5-byte varint)', [Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])]],
    ['PUBLISH before CONNECT [MQTT-3.1.0-1]', [Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69])]],
    ['a topic with invalid UTF-8 [MQTT-1.5.3-1]', [CONNECT, Buffer.from([0x30, 0x05, 0x00, 0x02, 0xc3, 0x28, 0x41])]],
    [
      'reserved flags set on SUBSCRIBE [MQTT-3.8.1-1]',
      [CONNECT, Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00])],
    ],
    ['QoS 3 PUBLISH [MQTT-3.3.1-4]', [CONNECT, Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])]],
  ];
  for (const [name, frames] of cases) {
    it(`${name}`, async () => {
      tb = await createTestBroker();
      const bad = await client();
      const keeper = await client();
      await keeper.connect({ clientId: 'keeper' });
      for (const f of frames) bad.send(f);
      await bad.closed();
      keeper.send({ type: 'pingreq' });
      await keeper.expectPacket('pingresp');
      await stillWorks();
    });
  }

  it('a truncated frame followed by a close', async () => {
    tb = await createTestBroker();
    const bad = await client();
    bad.send(CONNECT.subarray(0, 7));
    bad.socket.end();
    await bad.closed();
    await stillWorks();
  });

  it('a truncated frame on a live connection times out at connect_timeout', async () => {
    tb = await createTestBroker({ connect_timeout: 1 });
    const bad = await client();
    bad.send(CONNECT.subarray(0, 7));
    await bad.closed(3000);
    await stillWorks();
  });

  it('a client that never reads does not stall others', async () => {
    tb = await createTestBroker({ max_outgoing_bytes: 32 * 1024, slow_reader_timeout: 1 });
    const stuck = await client();
    await stuck.connect({ clientId: 'stuck' });
    stuck.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'big', qos: 0 }] });
    await stuck.expectPacket('suback');
    stuck.socket.pause();
    await tb.broker.publish({ topic: 'warmup', payload: 'x' }, { trusted: true });
    // One message per tick, so the kernel buffers fill and the broker's own buffer stays over the limit.
    for (let i = 0; i < 300; i++) {
      await tb.broker.publish({ topic: 'big', payload: Buffer.alloc(64 * 1024) }, { trusted: true });
      await new Promise((r) => setImmediate(r));
    }
    await stillWorks();
    // Only the two stillWorks() clients remain: the stuck one was disconnected as a slow reader.
    await until(() => tb.broker.stats().clientsConnected === 2, 5000, 'the stuck client to be disconnected');
  });
});
