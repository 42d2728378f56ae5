/**
 * Packet-level conformance classes from issue 11, over real sockets and byte-exact where the bytes
 * matter: server-only packets from a client, packet identifier 0, zero-length topic filters, protocol
 * name and level, MQTT 3.1 client ids, PUBREC for an unknown packet id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, deny } from '../../src/plugin-api/index.js';
import type { RawClient } from '../../src/testing/index.js';
import { Harness, publish, subscribe } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

/** Every byte the server sends from now on, as hex. */
function record(c: RawClient): () => string {
  const bytes: Buffer[] = [];
  c.socket.on('data', (b: Buffer) => bytes.push(b));
  return () => Buffer.concat(bytes).toString('hex');
}

async function expectDisconnect(c: RawClient, reasonCode: number): Promise<void> {
  expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode });
  await c.closed();
}

/** The connection is closed and nothing (no SUBACK, no UNSUBACK...) came before. */
async function expectSilentClose(c: RawClient): Promise<void> {
  await c.closed();
  await expect(c.next()).rejects.toThrow('connection is closed');
}

describe('packets only a server sends', () => {
  for (const [name, wire] of [
    // Bodies a v5 decoder would find malformed (no property length): refused by type before parsing.
    ['CONNACK', '20 02 00 00'],
    ['SUBACK', '90 03 00 01 00'],
    ['UNSUBACK', 'b0 02 00 01'],
    ['PINGRESP', 'd0 00'],
  ] as const) {
    it(`a ${name} from a v5 client is a Protocol Error: DISCONNECT 0x82, not 0x81`, async () => {
      await h.start();
      const c = await h.v5('c');
      c.send(hex(wire));
      await expectDisconnect(c, 0x82);
    });

    it(`a ${name} from a 3.1.1 client closes the connection`, async () => {
      await h.start();
      const c = await h.connected('c');
      c.send(hex(wire));
      await expectSilentClose(c);
    });
  }
});

describe('[MQTT-2.2.1-3] packet identifier 0 where one is required is a Malformed Packet', () => {
  for (const [name, v5wire, v4wire] of [
    ['PUBLISH QoS 1', '32 06 00 01 74 00 00 00', '32 05 00 01 74 00 00'],
    ['PUBLISH QoS 2', '34 06 00 01 74 00 00 00', '34 05 00 01 74 00 00'],
    ['SUBSCRIBE', '82 07 00 00 00 00 01 61 00', '82 06 00 00 00 01 61 00'],
    ['UNSUBSCRIBE', 'a2 06 00 00 00 00 01 61', 'a2 05 00 00 00 01 61'],
    ['PUBACK', '40 02 00 00', '40 02 00 00'],
  ] as const) {
    it(`[MQTT-2.2.1-3] v5 ${name} with packet identifier 0: DISCONNECT 0x81`, async () => {
      await h.start();
      const c = await h.v5('c');
      c.send(hex(v5wire));
      await expectDisconnect(c, 0x81);
    });

    it(`[MQTT-2.3.1-1] 3.1.1 ${name} with packet identifier 0 closes the connection`, async () => {
      await h.start();
      const c = await h.connected('c');
      c.send(hex(v4wire));
      await expectSilentClose(c);
    });
  }
});

describe('[MQTT-4.7.3-1] a zero-length topic filter closes the connection', () => {
  for (const version of [3, 4] as const) {
    it(`[MQTT-4.7.3-1] ${version === 3 ? '3.1' : '3.1.1'} SUBSCRIBE with a zero-length filter: closed, no SUBACK`, async () => {
      await h.start();
      const c = await h.connected('c', { protocolVersion: version });
      c.send(hex('82 05 00 01 00 00 00'));
      await expectSilentClose(c);
    });

    it(`[MQTT-4.7.3-1] ${version === 3 ? '3.1' : '3.1.1'} UNSUBSCRIBE with a zero-length filter (after a valid one): closed, no UNSUBACK`, async () => {
      await h.start();
      const c = await h.connected('c', { protocolVersion: version });
      c.send(hex('a2 07 00 01 00 01 61 00 00'));
      await expectSilentClose(c);
    });
  }

  it('[MQTT-4.7.3-1] v5 SUBSCRIBE with a zero-length filter: DISCONNECT 0x82', async () => {
    await h.start();
    const c = await h.v5('c');
    c.send(hex('82 06 00 01 00 00 00 00'));
    await expectDisconnect(c, 0x82);
  });

  it('[MQTT-4.7.3-1] v5 UNSUBSCRIBE with a zero-length filter: DISCONNECT 0x82', async () => {
    await h.start();
    const c = await h.v5('c');
    c.send(hex('a2 05 00 01 00 00 00'));
    await expectDisconnect(c, 0x82);
  });
});

describe('protocol name and level', () => {
  it('[MQTT-3.1.2-1] a wrong protocol name ("MQTX", level 5) closes the connection; no session is created', async () => {
    const tb = await h.start();
    const c = await h.client();
    const sent = record(c);
    c.send(hex('10 0e 00 04 4d 51 54 58 05 02 00 3c 00 00 01 61'));
    await c.closed();
    // Whatever a client of another protocol could read: at most the 3.1.1 refusal, never a v5 CONNACK.
    expect(['', '20020001']).toContain(sent());
    expect(tb.broker.stats().clientsTotal).toBe(0);
  });

  for (const [what, wire, answer] of [
    ['"MQTT" level 3', '10 0d 00 04 4d 51 54 54 03 02 00 3c 00 01 61', '20020001'],
    ['"MQTT" level 2', '10 0d 00 04 4d 51 54 54 02 02 00 3c 00 01 61', '20020001'],
    ['"MQIsdp" level 4', '10 0f 00 06 4d 51 49 73 64 70 04 02 00 3c 00 01 61', '20020001'],
    ['"MQTT" level 6', '10 0e 00 04 4d 51 54 54 06 02 00 3c 00 00 01 61', '2003008400'],
    ['"MQTT" level 255', '10 0e 00 04 4d 51 54 54 ff 02 00 3c 00 00 01 61', '2003008400'],
  ] as const) {
    it(`[MQTT-3.1.2-2] ${what} gets CONNACK ${answer} (${answer.length === 8 ? '3.1.1 return code 1' : 'v5 0x84'}), then the connection closes`, async () => {
      await h.start();
      const c = await h.client();
      const sent = record(c);
      c.send(hex(wire));
      await c.closed();
      expect(sent()).toBe(answer);
    });
  }
});

describe('MQTT 3.1 (MQIsdp) client ids', () => {
  it('a 3.1 client id longer than 23 bytes is accepted (as Mosquitto)', async () => {
    await h.start();
    const id = 'a-3.1-client-id-of-more-than-23-bytes';
    const c = await h.client();
    expect(await c.connect({ protocolVersion: 3, clientId: id })).toMatchObject({ reasonCode: 0 });
    await subscribe(c, 'v31/#');
    const pub = await h.connected('pub');
    publish(pub, 'v31/long', 'ok');
    expect((await c.expectPacket('publish')).payload.toString()).toBe('ok');
  });

  it('a 3.1 CONNECT with an empty client id and clean session is accepted (the broker assigns one)', async () => {
    const tb = await h.start();
    const c = await h.client();
    expect(await c.connect({ protocolVersion: 3, clientId: '', clean: true })).toMatchObject({ reasonCode: 0 });
    expect(tb.broker.stats().clientsConnected).toBe(1);
  });

  it('a 3.1 CONNECT with an empty client id without clean session gets CONNACK 0x02, not a silent close', async () => {
    await h.start();
    const c = await h.client();
    const sent = record(c);
    expect(await c.connect({ protocolVersion: 3, clientId: '', clean: false })).toMatchObject({ reasonCode: 2 });
    await c.closed();
    expect(sent()).toBe('20020002');
  });

  it('a 3.1 CONNECT refused by authentication gets CONNACK 0x05 (a v5 reason code from the plugin is mapped)', async () => {
    const denyAll = definePlugin({
      name: 'deny-all',
      apiVersion: 1,
      setup: () => ({ authenticate: () => deny('no', { reasonCode: 0x87 }) }),
    });
    await h.start({}, { plugins: [denyAll] });
    const c = await h.client();
    const sent = record(c);
    expect(await c.connect({ protocolVersion: 3, clientId: 'x'.repeat(30) })).toMatchObject({ reasonCode: 5 });
    await c.closed();
    expect(sent()).toBe('20020005');
  });
});

describe('[MQTT-4.3.3] PUBREC for an unknown packet identifier', () => {
  it('[MQTT-4.3.3] 3.1.1: answered with PUBREL for that id (50 02 00 2a → 62 02 00 2a)', async () => {
    await h.start();
    const c = await h.connected('c');
    const sent = record(c);
    c.send(hex('50 02 00 2a'));
    expect(await c.expectPacket('pubrel')).toEqual({ type: 'pubrel', packetId: 42 });
    expect(sent()).toBe('6202002a');
  });

  it('[MQTT-4.3.3] v5: answered with PUBREL 0x92 Packet Identifier not found', async () => {
    await h.start();
    const c = await h.v5('c');
    const sent = record(c);
    c.send(hex('50 02 00 2a'));
    expect(await c.expectPacket('pubrel')).toMatchObject({ packetId: 42, reasonCode: 0x92 });
    expect(sent()).toBe('6203002a92');
  });

  it('v5: a failed PUBREC (0x80) for an unknown id ends the flow: no PUBREL, still connected', async () => {
    await h.start();
    const c = await h.v5('c');
    c.send(hex('50 03 00 2a 80'));
    c.send(hex('c0 00'));
    await c.expectPacket('pingresp'); // a PUBREL would come before it
  });

  it('a PUBREC for a QoS 1 message in flight is not taken as its acknowledgement', async () => {
    await h.start();
    const sub = await h.subscriber('q/#', 1, 'sub');
    const pub = await h.connected('pub');
    publish(pub, 'q/1', 'one', 1);
    const p = await sub.expectPacket('publish');
    sub.send({ type: 'pubrec', packetId: p.packetId! });
    expect(await sub.expectPacket('pubrel')).toEqual({ type: 'pubrel', packetId: p.packetId });
    // The QoS 1 message is still unacknowledged: PUBACK completes it normally.
    sub.send({ type: 'puback', packetId: p.packetId! });
    sub.send(hex('c0 00'));
    await sub.expectPacket('pingresp');
  });
});
