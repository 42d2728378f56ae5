import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from '../../src/client/index.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { collect, nextEvent, startFakeServer, startProxy, waitFor, type FakeServer, type Proxy } from './helpers.js';

let tb: TestBroker | undefined;
let proxy: Proxy | undefined;
let fake: FakeServer | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end(true);
  await proxy?.close();
  await fake?.close();
  await tb?.close();
  tb = proxy = fake = undefined;
});

describe('auto-reconnect', () => {
  it('reconnects after a server-side cut, re-subscribes (clean session) and keeps receiving', async () => {
    tb = await createTestBroker();
    proxy = await startProxy(tb.port);
    const c = await connect(proxy.url, { reconnectInitialDelay: 0.1 });
    clients.push(c);
    await c.subscribe('re/#', { qos: 1 });
    const events: string[] = [];
    for (const e of ['close', 'offline', 'reconnect', 'connect'] as const) c.on(e, () => events.push(e));
    const back = nextEvent(c, 'connect');
    proxy.cut();
    const [result] = await back;
    expect(result.sessionPresent).toBe(false);
    expect(events).toEqual(['close', 'offline', 'reconnect', 'connect']);
    // The re-subscription travels right after CONNACK; wait for it through a round trip of our own.
    await c.unsubscribe('never/subscribed');
    const pub = await connect(tb.url);
    clients.push(pub);
    const got = collect(c, 1);
    await pub.publish('re/x', 'after', { qos: 1 });
    expect((await got)[0]?.payload.toString()).toBe('after');
  });

  it('backs off exponentially and gives up after reconnect_retries, rejecting what is pending', async () => {
    tb = await createTestBroker();
    proxy = await startProxy(tb.port);
    const c = await connect(proxy.url, { reconnectInitialDelay: 0.1, reconnectRetries: 3, reconnectMaxInterval: 0.3 });
    clients.push(c);
    const attempts: number[] = [];
    const started = Date.now();
    c.on('reconnect', () => attempts.push(Date.now() - started));
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await proxy.close();
    await tb.close();
    tb = undefined;
    proxy = undefined;
    const ended = nextEvent(c, 'end');
    const pending = c.publish('p', 'x', { qos: 1 });
    await ended;
    await expect(pending).rejects.toMatchObject({ code: 'CLIENT_RECONNECT_FAILED' });
    expect(attempts.length).toBe(3);
    // Delays 0.1, 0.2, then capped at 0.3 s.
    expect(attempts[0]).toBeGreaterThanOrEqual(90);
    expect((attempts[1] as number) - (attempts[0] as number)).toBeGreaterThanOrEqual(190);
    expect((attempts[2] as number) - (attempts[1] as number)).toBeGreaterThanOrEqual(290);
    expect(errors.at(-1)?.message).toMatch(/gave up reconnecting .* after 3 attempt/);
    expect(c.state).toBe('closed');
  });

  it('resends an unacknowledged QoS 1 publish with DUP=1 and settles it on the new connection', async () => {
    // First connection: swallow the PUBLISH and cut. Second: acknowledge it.
    fake = await startFakeServer((p, reply, socket, conn) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      if (p.type === 'subscribe') reply({ type: 'suback', packetId: p.packetId, reasonCodes: [1] });
      if (p.type === 'publish' && conn === 0) socket.destroy();
      if (p.type === 'publish' && conn === 1) reply({ type: 'puback', packetId: p.packetId as number });
    });
    const c = await connect(fake.url, { reconnectInitialDelay: 0.05 });
    clients.push(c);
    await c.subscribe('s/#', { qos: 1 });
    let settled = false;
    await c.publish('q/1', 'important', { qos: 1 }).then(() => (settled = true));
    expect(settled).toBe(true);
    const second = fake.received.filter((r) => r.conn === 1).map((r) => r.packet);
    expect(second.map((p) => p.type)).toEqual(['connect', 'subscribe', 'publish']);
    const resent = second[2];
    expect(resent).toMatchObject({ type: 'publish', topic: 'q/1', dup: true, qos: 1 });
    const first = fake.received.find((r) => r.conn === 0 && r.packet.type === 'publish')?.packet;
    expect(first).toMatchObject({ dup: false, packetId: (resent as { packetId: number }).packetId });
  });

  it('resumes a QoS 2 exchange after PUBREC with PUBREL on the new connection', async () => {
    fake = await startFakeServer((p, reply, socket, conn) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: true, reasonCode: 0 });
      if (p.type === 'publish') reply({ type: 'pubrec', packetId: p.packetId as number });
      if (p.type === 'pubrel' && conn === 0) socket.destroy();
      if (p.type === 'pubrel' && conn === 1) reply({ type: 'pubcomp', packetId: p.packetId });
    });
    const c = await connect(fake.url, { reconnectInitialDelay: 0.05, clean: false, clientId: 'q2' });
    clients.push(c);
    await c.publish('q/2', 'once', { qos: 2 });
    expect(fake.received.filter((r) => r.conn === 1).map((r) => r.packet.type)).toEqual(['connect', 'pubrel']);
  });

  it('stops at once when a reconnect is refused for a reason that will not go away', async () => {
    fake = await startFakeServer((p, reply, socket, conn) => {
      if (p.type !== 'connect') return;
      reply({ type: 'connack', sessionPresent: false, reasonCode: conn === 0 ? 0 : 5 });
      if (conn === 0) socket.end(); // after the CONNACK just written: the first session is up, then lost
    });
    const c = await connect(fake.url, { reconnectInitialDelay: 0.05, reconnectRetries: -1 });
    clients.push(c);
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await nextEvent(c, 'end');
    expect(errors.at(-1)?.message).toMatch(/after 1 attempt\(s\): Connection refused: not authorised\./);
  });

  it('delivers an inbound QoS 2 message once even when the broker resends it', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      // Sent once the test listens: it subscribes after adding its listener.
      if (p.type === 'subscribe') {
        reply({ type: 'suback', packetId: p.packetId, reasonCodes: [2] });
        const msg = {
          type: 'publish',
          topic: 't',
          payload: Buffer.from('x'),
          qos: 2,
          retain: false,
          dup: false,
          packetId: 7,
        } as const;
        reply(msg);
        reply({ ...msg, dup: true });
        reply({ type: 'pubrel', packetId: 7 });
      }
    });
    const c = await connect(fake.url);
    clients.push(c);
    let n = 0;
    c.on('message', () => n++);
    await c.subscribe('t', { qos: 2 });
    // PUBCOMP answers the PUBREL, which came after both copies: by then the client has handled them.
    await waitFor(() => fake!.received.some((r) => r.packet.type === 'pubcomp'), 'PUBCOMP');
    expect(n).toBe(1);
    expect(fake.received.map((r) => r.packet.type)).toEqual(['connect', 'subscribe', 'pubrec', 'pubrec', 'pubcomp']);
  });
});

describe('reconnect jitter', () => {
  it('draws each delay between reconnectInitialDelay and the doubled delay', async () => {
    tb = await createTestBroker();
    proxy = await startProxy(tb.port);
    // The lowest draw every time: the delays stay at the floor instead of doubling.
    const random = Math.random;
    Math.random = () => 0;
    try {
      const c = await connect(proxy.url, {
        reconnectInitialDelay: 0.05,
        reconnectMaxInterval: 10,
        reconnectRetries: -1,
        reconnectJitter: true,
      });
      clients.push(c);
      let attempts = 0;
      c.on('reconnect', () => attempts++);
      await proxy.close();
      proxy = undefined;
      // Without jitter the 6th attempt comes after 0.05 * (1 + 2 + ... + 32) = 3.15 s.
      await waitFor(() => attempts >= 6, 'six reconnect attempts', 1500);
    } finally {
      Math.random = random;
    }
  });
});
