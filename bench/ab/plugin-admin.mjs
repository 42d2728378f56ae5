// In-process A/B of @midge/plugin-admin's cost (issue 15: within 3 % on fan-in): the same build's broker
// without plugins and with the admin plugin, its /metrics scraped once a second while its rounds run, over
// in-memory streams in one process, alternating short rounds so machine noise hits both alike. Prints
// with-plugin / without throughput ratios (median and quartiles) per scenario.
//   node bench/ab/plugin-admin.mjs [--rounds=N]
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
const HERE = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
const core = await import('@midge/mqtt-core');
const codec = await import('@midge/mqtt-core/codec');
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

/** Both brokers have a plugin (as every deployment does: authentication at least): the difference is the admin plugin. */
const basePlugin = core.definePlugin({ name: 'base', apiVersion: 1, setup: () => ({}) });

async function setup(withAdmin, subs, qos) {
  const plugins = withAdmin ? { '@midge/plugin-admin': { bind: '127.0.0.1:0' } } : {};
  let port;
  const logger = {
    ...core.nullLogger,
    child: () => logger,
    info: (obj) => {
      if (typeof obj === 'object' && obj !== null && typeof obj.port === 'number') port = obj.port;
    },
  };
  const broker = await core.createBroker(
    { listeners: {}, plugins, log_level: 'error' },
    { searchDirs: [HERE], logger, plugins: [basePlugin] },
  );
  await broker.start();
  if (withAdmin && port === undefined) throw new Error('the admin server did not say its port');
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
  return {
    broker,
    sinks,
    pub,
    chunk,
    perChunk,
    out,
    scrapeUrl: withAdmin ? `http://127.0.0.1:${port}/metrics` : undefined,
  };
}

let lastScrape = 0;
let workedMs = 0;

async function round(s, chunks) {
  // The with-plugin broker is scraped once per second of its own rounds (15 times Prometheus' default):
  // rounds are shorter than a second, so a scrape starts with the round that crosses the next second.
  if (s.scrapeUrl !== undefined && workedMs - lastScrape >= 1000) {
    lastScrape = workedMs;
    void fetch(s.scrapeUrl).then(
      (r) => r.text(),
      () => undefined,
    );
  }
  const began = performance.now();
  const rate = await measure(s, chunks);
  if (s.scrapeUrl !== undefined) workedMs += performance.now() - began;
  return rate;
}

async function measure(s, chunks) {
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
  const a = await setup(false, subs, qos);
  const b = await setup(true, subs, qos);
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
    `${name.padEnd(28)} no plugin ${Math.round(med(rates.a)).toLocaleString()} msg per CPU ms, admin plugin ${Math.round(med(rates.b)).toLocaleString()}; with/without median ${ratios[rounds >> 1].toFixed(3)} (q1 ${ratios[rounds >> 2].toFixed(3)}, q3 ${ratios[(3 * rounds) >> 2].toFixed(3)})`,
  );
  await a.broker.close();
  await b.broker.close();
}
process.exit(0);
