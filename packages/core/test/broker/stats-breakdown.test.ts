import { afterEach, describe, expect, it } from 'vitest';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import { Harness, publish, subscribe, until } from './helpers.js';

// The counters an operator's dashboard splits (issue 15): CONNECT refusals by reason, messages by QoS,
// sampled plugin decision times and publish-to-delivery latency.
const h = new Harness();
afterEach(() => h.stop());

const gatekeeper = definePlugin({
  name: 'gatekeeper',
  apiVersion: 1,
  setup: () => ({
    authenticate: (req) => (req.client.username === 'mallory' ? deny('no') : allow),
    authorizeTopic: () => allow,
  }),
});

describe('BrokerStats breakdowns', () => {
  it('counts each CONNECT refusal under one name for v3 and v5, beside the accepted ones', async () => {
    await h.start({}, { plugins: [gatekeeper] });
    const v4 = await h.client();
    expect((await v4.connect({ clientId: 'm4', username: 'mallory' })).reasonCode).toBe(0x05);
    const v5 = await h.client();
    expect((await v5.connect({ clientId: 'm5', username: 'mallory', protocolVersion: 5 })).reasonCode).toBe(0x87);
    const empty = await h.client();
    // [MQTT-3.1.3-8]: an empty client id with clean session 0 is refused (return code 2).
    expect((await empty.connect({ clientId: '', clean: false })).reasonCode).toBe(0x02);
    await h.connected('ok');
    const stats = h.tb.broker.stats();
    expect(stats.connectRefused).toEqual({ 'not-authorized': 2, 'identifier-rejected': 1 });
    expect(stats.clientsTotal).toBe(1);
  });

  it('counts messages received and sent by QoS [MQTT-3.3.1-4]', async () => {
    await h.start();
    const sub = await h.connected('sub');
    await subscribe(sub, 't', 2);
    const pub = await h.connected('pub');
    const qosOf = [0, 0, 0, 1, 1, 2] as const;
    for (const qos of qosOf) publish(pub, 't', `q${qos}`, qos);
    for (let i = 0; i < qosOf.length; i++) {
      const p = await sub.expectPacket('publish');
      if (p.qos === 1) sub.send({ type: 'puback', packetId: p.packetId! });
      if (p.qos === 2) sub.send({ type: 'pubrec', packetId: p.packetId! });
    }
    await until(() => h.tb.broker.stats().messagesSentByQos[2] === 1);
    const stats = h.tb.broker.stats();
    expect(stats.messagesReceivedByQos).toEqual([3, 2, 1]);
    expect(stats.messagesSentByQos).toEqual([3, 2, 1]);
    expect(stats.messagesReceived).toBe(6);
    expect(stats.messagesSent).toBe(6);
  });

  it('times plugin decisions (topic hooks one call in 16) and one message in 64 from PUBLISH to delivery', async () => {
    await h.start({}, { plugins: [gatekeeper] });
    const sub = await h.connected('sub');
    await subscribe(sub, 't', 0);
    const pub = await h.connected('pub');
    for (let i = 0; i < 128; i++) publish(pub, 't', String(i), 0);
    for (let i = 0; i < 128; i++) await sub.expectPacket('publish');
    const timings = h.tb.broker.timings();
    const byHook = new Map(timings.decisions.map((d) => [`${d.plugin}.${d.hook}`, d]));
    // Two CONNECTs, each timed.
    expect(byHook.get('gatekeeper.authenticate')?.histogram.count).toBe(2);
    expect(byHook.get('gatekeeper.authenticate')?.sampleEvery).toBe(1);
    // 1 SUBSCRIBE + 128 publish + 128 receive authorizations: 257 calls, one in 16 timed.
    const topic = byHook.get('gatekeeper.authorizeTopic');
    expect(topic?.sampleEvery).toBe(16);
    expect(topic?.histogram.count).toBe(16);
    expect(topic?.histogram.counts.reduce((a, b) => a + b, 0)).toBe(16);
    // 128 messages to one subscriber: 2 sampled, each delivered once.
    expect(timings.deliveryLatencySampleEvery).toBe(64);
    expect(timings.deliveryLatency.count).toBe(2);
    expect(timings.deliveryLatency.sum).toBeGreaterThanOrEqual(0);
    expect(timings.deliveryLatency.sum).toBeLessThan(5);
  });
});
