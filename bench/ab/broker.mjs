// In-process A/B of the broker's decode → route → encode path: the baseline and main brokers run in the
// same process over in-memory streams (no sockets), alternating in short rounds, so machine noise hits
// both alike. Prints main/baseline throughput ratios (median and quartiles) per scenario.
import { Duplex } from 'node:stream';
import { BASE, CAND, ROUNDS } from './checkouts.mjs';
const libs = {
  baseline: await import(BASE + '/packages/core/dist/index.js'),
  main: await import(CAND + '/packages/core/dist/index.js'),
};
const codec = await import(CAND + '/packages/core/dist/codec/index.js');
let V = 4;
const enc = (p) => codec.encodePacket(p, V);

class Pipe extends Duplex {
  received = 0;
  waiters = [];
  _read() {}
  _write(chunk, _e, cb) {
    this.got(chunk.length);
    cb();
  }
  _writev(chunks, cb) {
    let n = 0;
    for (const c of chunks) n += c.chunk.length;
    this.got(n);
    cb();
  }
  got(n) {
    this.received += n;
    this.waiters = this.waiters.filter((w) => (this.received >= w.n ? (w.resolve(), false) : true));
  }
  until(n) {
    return this.received >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

async function client(broker, id, packets) {
  const pipe = new Pipe();
  broker.handle(pipe, { listener: 'mem', remoteAddress: '127.0.0.1', remotePort: 1 });
  pipe.push(
    enc({ type: 'connect', protocolName: 'MQTT', protocolVersion: V, clientId: id, clean: true, keepalive: 0 }),
  );
  await pipe.until(4);
  for (const p of packets) pipe.push(enc(p));
  return pipe;
}

async function setup(lib, subs, qos) {
  const broker = await lib.createBroker({ listeners: {}, plugins: {}, log_level: 'error' });
  await broker.start();
  const sinks = [];
  for (let i = 0; i < subs; i++) {
    const s = await client(broker, 's' + i, [
      { type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'bench/#', qos: 0 }] },
    ]);
    await s.until(4 + 5);
    sinks.push(s);
  }
  const pub = await client(broker, 'pub', []);
  const frame = enc({
    type: 'publish',
    topic: 'bench/t',
    payload: Buffer.alloc(16, 1),
    qos,
    retain: false,
    dup: false,
    ...(qos ? { packetId: 7 } : {}),
  });
  const perChunk = Math.floor(65536 / frame.length);
  const chunk = Buffer.concat(Array(perChunk).fill(frame));
  // What one subscriber receives per message: the QoS 0 PUBLISH (no packet id).
  const out = enc({
    type: 'publish',
    topic: 'bench/t',
    payload: Buffer.alloc(16, 1),
    qos: 0,
    retain: false,
    dup: false,
  }).length;
  return { broker, sinks, pub, chunk, perChunk, out };
}

async function round(s, chunks) {
  const targets = s.sinks.map((k) => k.received + chunks * s.perChunk * s.out);
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    s.pub.push(s.chunk);
    // Let the broker drain this chunk before the next, as a socket would deliver it.
    if (i % 4 === 3) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(s.sinks.map((k, i) => k.until(targets[i])));
  const cpu = process.cpuUsage(t0);
  const ms = performance.now() - w0;
  return (chunks * s.perChunk * s.sinks.length) / ((cpu.user + cpu.system) / 1000 || ms);
}

const rounds = ROUNDS;
for (const [name, subs, qos, chunks, v] of [
  ['fan-in QoS 0 (1→1)', 1, 0, 40, 4],
  ['QoS 1 publish → QoS 0 sub', 1, 1, 40, 4],
  ['fan-out 1→50 QoS 0', 50, 0, 4, 4],
  ['v5 fan-in QoS 0', 1, 0, 40, 5],
  ['v5 QoS 1 publish → QoS 0 sub', 1, 1, 40, 5],
]) {
  V = v;
  const a = await setup(libs.baseline, subs, qos);
  const b = await setup(libs.main, subs, qos);
  for (let i = 0; i < 3; i++) {
    await round(a, chunks);
    await round(b, chunks);
  }
  const ratios = [];
  const rates = { a: [], b: [] };
  for (let r = 0; r < rounds; r++) {
    let ra, rb;
    if (r % 2 === 0) {
      ra = await round(a, chunks);
      rb = await round(b, chunks);
    } else {
      rb = await round(b, chunks);
      ra = await round(a, chunks);
    }
    ratios.push(rb / ra);
    rates.a.push(ra);
    rates.b.push(rb);
  }
  const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
  ratios.sort((x, y) => x - y);
  console.log(
    `${name.padEnd(28)} baseline ${Math.round(med(rates.a)).toLocaleString()} msg per CPU ms, candidate ${Math.round(med(rates.b)).toLocaleString()}; candidate/baseline median ${ratios[rounds >> 1].toFixed(3)} (q1 ${ratios[rounds >> 2].toFixed(3)}, q3 ${ratios[(3 * rounds) >> 2].toFixed(3)})`,
  );
  await a.broker.close();
  await b.broker.close();
}
process.exit(0);
