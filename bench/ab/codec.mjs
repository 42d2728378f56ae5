// In-process A/B of the decoder and encoder: baseline and main alternate in short rounds, so machine
// noise hits both alike. Prints the median ratio main/baseline per case.
import { BASE, CAND, ROUNDS } from './checkouts.mjs';
const A = await import(BASE + '/packages/core/dist/codec/index.js');
const B = await import(CAND + '/packages/core/dist/codec/index.js');
const cases = [];
for (const [name, version, qos, size, props] of [
  ['v4 q0 16B', 4, 0, 16, false],
  ['v4 q1 256B', 4, 1, 256, false],
  ['v5 q1 props 256B', 5, 1, 256, true],
  ['v4 q0 4KiB', 4, 0, 4096, false],
]) {
  const packet = {
    type: 'publish',
    topic: 'bench/topic/' + size,
    payload: Buffer.alloc(size, 7),
    qos,
    retain: false,
    dup: false,
    ...(qos ? { packetId: 42 } : {}),
    ...(props
      ? { properties: { contentType: 'text/plain', userProperties: [['k', 'v']], messageExpiryInterval: 60 } }
      : {}),
  };
  const frame = A.encodePacket(packet, version);
  const n = Math.floor(65536 / frame.length);
  const chunk = Buffer.concat(Array(n).fill(frame));
  cases.push({ name, version, packet, chunk, n });
}
function decodeRate(lib, c, ms) {
  const d = new lib.PacketDecoder({ protocolVersion: c.version, role: 'server', maxPacketSize: 1 << 20 });
  let count = 0;
  const t0 = performance.now();
  let t;
  do {
    for (let i = 0; i < 20; i++)
      d.feed(c.chunk, () => {
        count++;
      });
    t = performance.now();
  } while (t - t0 < ms);
  return count / (t - t0);
}
function encodeRate(lib, c, ms) {
  let count = 0;
  const t0 = performance.now();
  let t;
  do {
    for (let i = 0; i < 2000; i++) {
      lib.encodePacket(c.packet, c.version);
      count++;
    }
    t = performance.now();
  } while (t - t0 < ms);
  return count / (t - t0);
}
const rounds = ROUNDS;
for (const c of cases) {
  for (const [op, fn] of [
    ['decode', decodeRate],
    ['encode', encodeRate],
  ]) {
    fn(A, c, 200);
    fn(B, c, 200);
    const ratios = [];
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0;
      const a1 = first ? fn(A, c, 60) : 0;
      const b = fn(B, c, 60);
      const a2 = first ? 0 : fn(A, c, 60);
      ratios.push(b / (first ? a1 : a2));
    }
    ratios.sort((x, y) => x - y);
    console.log(
      `${c.name.padEnd(18)} ${op}  candidate/baseline median ${ratios[rounds >> 1].toFixed(3)}  (q1 ${ratios[rounds >> 2].toFixed(3)}, q3 ${ratios[(3 * rounds) >> 2].toFixed(3)})`,
    );
  }
}
