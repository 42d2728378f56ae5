/**
 * End to end through real MQTT sockets: a broker loads the plugin by its package name under `plugins:`,
 * and a local HTTP endpoint decides. An HTTP-authenticated client gets exactly the rights the endpoint
 * gives it: its own topics, nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { RawClient } from '@midge/mqtt-core/testing';
import { connectClient, connected, startBroker, subscribe } from './broker-helpers.js';
import { closedPort, json, startEndpoint, type Handler } from './http-endpoint.js';

const pw = (s: string) => Buffer.from(s);

/** alice/secret may log in, and may publish and subscribe under alice/ only. */
const rules: Handler = (req, res) => {
  const body = JSON.parse(req.body) as Record<string, string>;
  if (req.url === '/auth') {
    if (body.username === 'alice' && body.password === 'secret') json(res, { result: 'allow' });
    else json(res, { result: 'deny', reason: 'bad login' });
    return;
  }
  const own = body.username === 'alice' && (body.topic ?? '').startsWith('alice/');
  json(res, { result: own ? 'allow' : 'deny' });
};

async function broker(extra: Record<string, unknown> = {}) {
  const ep = await startEndpoint(rules);
  await startBroker({
    '@midge/plugin-auth-http': {
      authenticate: { url: `${ep.origin}/auth` },
      authorize: { url: `${ep.origin}/acl` },
      ...extra,
    },
  });
  return ep;
}

let packetId = 0;
async function subscribe5(client: RawClient, topic: string): Promise<number> {
  client.send({ type: 'subscribe', packetId: ++packetId, subscriptions: [{ topic, qos: 1 }] }, 5);
  return (await client.expectPacket('suback')).reasonCodes[0] as number;
}
async function publish5(client: RawClient, topic: string, payload: string): Promise<number> {
  client.send(
    { type: 'publish', topic, payload: pw(payload), qos: 1, retain: false, dup: false, packetId: ++packetId },
    5,
  );
  return (await client.expectPacket('puback')).reasonCode ?? 0;
}

describe('@midge/plugin-auth-http in a broker', () => {
  it('admits the right password and refuses others (v3.1.1 CONNACK 5, v5 0x87)', async () => {
    const ep = await broker();
    expect((await connectClient({ username: 'alice', password: pw('secret') })).code).toBe(0);
    expect((await connectClient({ username: 'alice', password: pw('wrong'), clientId: 'x' })).code).toBe(5);
    expect((await connectClient({ username: 'alice', password: pw('wrong'), clientId: 'x' })).code).toBe(5);
    expect(ep.requests.filter((r) => r.url === '/auth')).toHaveLength(2); // the repeated deny was cached
    expect((await connectClient({ username: 'alice', password: pw('wrong'), protocolVersion: 5 })).code).toBe(0x87);
  });

  it('gives an HTTP-authenticated v5 client exactly the topics the endpoint allows', async () => {
    await broker();
    const alice = await connected({ username: 'alice', password: pw('secret'), protocolVersion: 5, clientId: 'a1' });
    expect(await subscribe5(alice, 'alice/inbox/#')).toBe(1);
    expect(await subscribe5(alice, 'bob/#')).toBe(0x87);
    expect(await publish5(alice, 'bob/inbox', 'no')).toBe(0x87);
    // Her own topic: PUBACK 0, and it is delivered to her own subscription (receive is allowed by
    // default: she was allowed to subscribe). The delivery may come before the PUBACK.
    alice.send(
      {
        type: 'publish',
        topic: 'alice/inbox/1',
        payload: pw('hello'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: ++packetId,
      },
      5,
    );
    const packets = [await alice.next(), await alice.next()];
    expect(packets.find((p) => p.type === 'puback')).toMatchObject({ reasonCode: 0 });
    expect(packets.find((p) => p.type === 'publish')).toMatchObject({ topic: 'alice/inbox/1', payload: pw('hello') });
  });

  it('refuses a v3.1.1 SUBSCRIBE the endpoint denies with SUBACK 0x80', async () => {
    await broker();
    const alice = await connected({ username: 'alice', password: pw('secret') });
    expect(await subscribe(alice, 'alice/x', 'bob/x')).toEqual([1, 0x80]);
  });

  it('forgets cached answers when the broker reloads its plugins', async () => {
    let open = true;
    const ep = await startEndpoint((req, res) => json(res, { result: req.url === '/auth' || open ? 'allow' : 'deny' }));
    const { broker } = await startBroker({
      '@midge/plugin-auth-http': { authenticate: { url: `${ep.origin}/auth` }, authorize: { url: `${ep.origin}/acl` } },
    });
    const alice = await connected({ username: 'alice', password: pw('secret'), protocolVersion: 5, clientId: 'a1' });
    expect(await subscribe5(alice, 'news/#')).toBe(1);
    open = false; // the endpoint's rules change; the cached allow still answers
    expect(await subscribe5(alice, 'news/#')).toBe(1);
    await broker.reload();
    expect(await subscribe5(alice, 'news/#')).toBe(0x87);
  });

  it('refuses CONNECTs as server unavailable while the endpoint is down (fail closed)', async () => {
    const port = await closedPort();
    await startBroker({ '@midge/plugin-auth-http': { authenticate: { url: `http://127.0.0.1:${port}/auth` } } });
    expect((await connectClient({ username: 'alice', password: pw('secret') })).code).toBe(3);
    expect((await connectClient({ username: 'alice', password: pw('secret'), protocolVersion: 5 })).code).toBe(0x88);
  });
});
