#!/usr/bin/env node
// Codec benchmark: Midge's codec (@midge/mqtt-core/codec, the BUILT package) against mqtt-packet,
// on PUBLISH streams. Prints figures; it is not a test and gates nothing.
//
//   pnpm --filter @midge/mqtt-core run build     # the bench imports dist/, build it first
//   pnpm --filter @midge/bench run codec         # or: node bench/codec/run.mjs [--rounds N] [--min-ms N] [--quick]
//
// Cases: payloads of 16 B, 256 B and 4 KiB, as MQTT 3.1.1 QoS 0, 3.1.1 QoS 1 and 5.0 QoS 1 with a user
// property, a content type and a message expiry interval.
// - decode: one large buffer of many concatenated packets (about 2 MiB), fed in 64 KiB chunks to a fresh
//   decoder / parser per pass;
// - encode: Midge's encodePacket (a new Buffer per packet) and encodeInto (one reused buffer) against
//   mqtt-packet's generate.
// Each measurement warms up, then runs several rounds (each at least --min-ms long, ours and theirs
// alternating), and reports the median packets per second of each and the median of the per-round
// ratios. The whole run stays under a minute.
import { createRequire } from 'node:module';
import os from 'node:os';
import process from 'node:process';
import { PacketDecoder, encodeInto, encodePacket, encodedLength } from '@midge/mqtt-core/codec';
import mqttPacket from 'mqtt-packet';

const MQTT_PACKET_VERSION = createRequire(import.meta.url)('mqtt-packet/package.json').version;
const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}
const QUICK = args.includes('--quick');
const ROUNDS = option('--rounds', QUICK ? 3 : 7);
const MIN_MS = option('--min-ms', QUICK ? 40 : 80);
const CHUNK = 64 * 1024;
const STREAM_BYTES = 2 * 1024 * 1024;
const DEADLINE_MS = 55_000;
const started = performance.now();

const SIZES = [
  ['16 B', 16],
  ['256 B', 256],
  ['4 KiB', 4096],
];
const VARIANTS = [
  { name: 'v3.1.1 QoS 0', version: 4, qos: 0, properties: false },
  { name: 'v3.1.1 QoS 1', version: 4, qos: 1, properties: false },
  { name: 'v5 QoS 1 + props', version: 5, qos: 1, properties: true },
];

function ourPacket(variant, payload) {
  const packet = {
    type: 'publish',
    topic: 'sensors/building-7/floor-3/temperature',
    payload,
    qos: variant.qos,
    retain: false,
    dup: false,
  };
  if (variant.qos > 0) packet.packetId = 4242;
  if (variant.properties) {
    packet.properties = {
      messageExpiryInterval: 3600,
      contentType: 'application/json',
      userProperties: [['source', 'bench']],
    };
  }
  return packet;
}

function theirPacket(variant, payload) {
  const packet = {
    cmd: 'publish',
    topic: 'sensors/building-7/floor-3/temperature',
    payload,
    qos: variant.qos,
    retain: false,
    dup: false,
  };
  if (variant.qos > 0) packet.messageId = 4242;
  if (variant.properties) {
    packet.properties = {
      messageExpiryInterval: 3600,
      contentType: 'application/json',
      userProperties: { source: 'bench' },
    };
  }
  return packet;
}

/** Runs `pass` (which handles `perPass` packets) until `MIN_MS` elapse; returns packets per second. */
function measure(pass, perPass) {
  let passes = 0;
  const t0 = performance.now();
  let elapsed;
  do {
    pass();
    passes++;
    elapsed = performance.now() - t0;
  } while (elapsed < MIN_MS);
  return (passes * perPass * 1000) / elapsed;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Warm up, then measure the contenders round by round, alternating their order. Returns, per contender,
 * the median rate and the median over rounds of its rate divided by the last contender's (mqtt-packet)
 * in the same round: pairing rounds keeps the ratio steady when the machine's load changes.
 */
function compare(contenders, perPass) {
  for (const c of contenders) measure(c.pass, perPass); // warm-up round
  const rates = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    if (r >= 3 && performance.now() - started > DEADLINE_MS) break; // keep the whole run bounded
    const order = r % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
    for (const i of order) rates[i].push(measure(contenders[i].pass, perPass));
  }
  const reference = rates[rates.length - 1];
  return rates.map((own) => ({ rate: median(own), ratio: median(own.map((v, r) => v / reference[r])) }));
}

let sink = 0; // keeps results observable so no work is optimized away

function decodeCase(variant, payload) {
  const frame = encodePacket(ourPacket(variant, payload), variant.version);
  const count = Math.max(1000, Math.floor(STREAM_BYTES / frame.length));
  const stream = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let i = 0; i < stream.length; i += CHUNK) chunks.push(stream.subarray(i, i + CHUNK));

  // Both sides must see the same packets before we time them.
  let ours = 0;
  let theirs = 0;
  const decoder = new PacketDecoder({ protocolVersion: variant.version, maxPacketSize: 1 << 20 });
  for (const chunk of chunks) decoder.feed(chunk, (p) => (ours += p.payload.length === payload.length ? 1 : 0));
  const parser = mqttPacket.parser({ protocolVersion: variant.version });
  parser.on('packet', (p) => (theirs += p.payload.length === payload.length ? 1 : 0));
  parser.on('error', (e) => {
    throw e;
  });
  for (const chunk of chunks) parser.parse(chunk);
  if (ours !== count || theirs !== count) throw new Error(`decode check failed: ${ours}/${theirs} of ${count}`);

  const onOurs = (p) => {
    sink += p.payload.length;
  };
  const onTheirs = (p) => {
    sink += p.payload.length;
  };
  return compare(
    [
      {
        pass() {
          const d = new PacketDecoder({ protocolVersion: variant.version, maxPacketSize: 1 << 20 });
          for (let i = 0; i < chunks.length; i++) d.feed(chunks[i], onOurs);
        },
      },
      {
        pass() {
          const p = mqttPacket.parser({ protocolVersion: variant.version });
          p.on('packet', onTheirs);
          for (let i = 0; i < chunks.length; i++) p.parse(chunks[i]);
        },
      },
    ],
    count,
  );
}

function encodeCase(variant, payload) {
  const ours = ourPacket(variant, payload);
  const theirs = theirPacket(variant, payload);
  const expected = encodePacket(ours, variant.version);
  const generated = mqttPacket.generate(theirs, { protocolVersion: variant.version });
  if (generated.length !== expected.length) {
    throw new Error(`encode check failed: ${expected.length} vs ${generated.length} bytes`);
  }
  const BATCH = 1000;
  const target = Buffer.allocUnsafe(encodedLength(ours, variant.version) * 4);
  const opts = { protocolVersion: variant.version };
  return compare(
    [
      {
        pass() {
          for (let i = 0; i < BATCH; i++) sink += encodePacket(ours, variant.version).length;
        },
      },
      {
        pass() {
          let offset = 0;
          for (let i = 0; i < BATCH; i++) {
            if (offset + expected.length > target.length) offset = 0;
            offset = encodeInto(ours, target, offset, variant.version);
          }
          sink += offset;
        },
      },
      {
        pass() {
          for (let i = 0; i < BATCH; i++) sink += mqttPacket.generate(theirs, opts).length;
        },
      },
    ],
    BATCH,
  );
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ratio = (r) => `${r.toFixed(2)}x`;

const rows = [];
for (const [sizeName, size] of SIZES) {
  const payload = Buffer.alloc(size, 0x61);
  for (const variant of VARIANTS) {
    const label = `${variant.name}, ${sizeName}`;
    const [decOurs, decTheirs] = decodeCase(variant, payload);
    rows.push([label, 'decode (64 KiB chunks)', fmt(decOurs.rate), fmt(decTheirs.rate), ratio(decOurs.ratio)]);
    const [encOurs, encInto, encTheirs] = encodeCase(variant, payload);
    rows.push([label, 'encode: encodePacket', fmt(encOurs.rate), fmt(encTheirs.rate), ratio(encOurs.ratio)]);
    rows.push([
      label,
      'encode: encodeInto (reused buffer)',
      fmt(encInto.rate),
      fmt(encTheirs.rate),
      ratio(encInto.ratio),
    ]);
  }
}

const header = ['case (PUBLISH)', 'operation', 'midge pkt/s', 'mqtt-packet pkt/s', 'midge / mqtt-packet'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) =>
  `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;

const cpus = os.cpus();
console.log(`Midge codec benchmark — ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ` +
    `mqtt-packet ${MQTT_PACKET_VERSION}, ${ROUNDS} rounds of >= ${MIN_MS} ms: median rates, median of per-round ratios\n`,
);
console.log(line(header));
console.log(`|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s; checksum ${sink % 1000})`);
