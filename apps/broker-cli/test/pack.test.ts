/**
 * What `npm i @midge/mqtt-core @midge/plugin-topic-acl` gives a user: the packed tarballs installed
 * with plain npm into an empty folder (no workspace, no pnpm links), then a broker embedded from a
 * plain ESM script, enforcing the ACL against a client speaking raw MQTT bytes.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withTempDir } from './cli-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PNPM = join(ROOT, '.tools/node_modules/pnpm/bin/pnpm.mjs');

// Runs inside the install folder, so it may use only node and the two installed packages.
const SCRIPT = `
import net from 'node:net';
import { createBroker, nullLogger } from '@midge/mqtt-core';

const broker = await createBroker(
  {
    listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } },
    plugins: {
      '@midge/plugin-topic-acl': {
        publish_acl: { alice: ['allowed/pub'] },
        subscribe_acl: { alice: ['allowed/#'] },
      },
    },
  },
  { logger: nullLogger },
);
await broker.start();
const { port } = broker.listeners()[0];

const str = (s) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]); };
const packet = (type, body) => Buffer.concat([Buffer.from([type, body.length]), body]);

const socket = net.connect({ host: '127.0.0.1', port });
const packets = [];
let waiting;
let buf = Buffer.alloc(0);
socket.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  // Every packet here is short: a one-byte remaining length.
  while (buf.length >= 2 && buf.length >= 2 + buf[1]) {
    packets.push({ type: buf[0] >> 4, body: buf.subarray(2, 2 + buf[1]) });
    buf = buf.subarray(2 + buf[1]);
  }
  waiting?.();
});
async function next(type) {
  for (;;) {
    const i = packets.findIndex((p) => p.type === type);
    if (i >= 0) return packets.splice(i, 1)[0].body;
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no packet of type ' + type)), 5000);
      waiting = () => { clearTimeout(t); resolve(); };
    });
  }
}
await new Promise((resolve) => socket.once('connect', resolve));

// CONNECT 3.1.1, clean session, username alice (no auth plugin: every client is admitted).
socket.write(packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x82, 0, 60]), str('acl-check'), str('alice')])));
const connack = await next(2);
const subscribe = async (id, filter) => {
  socket.write(packet(0x82, Buffer.concat([Buffer.from([0, id]), str(filter), Buffer.from([0])])));
  return (await next(9))[2];
};
const subackAllowed = await subscribe(1, 'allowed/#');
const subackDenied = await subscribe(2, 'secret/#');
// The first PUBLISH is outside publish_acl and must be dropped; the second goes through.
socket.write(packet(0x30, Buffer.concat([str('allowed/other'), Buffer.from('no')])));
socket.write(packet(0x30, Buffer.concat([str('allowed/pub'), Buffer.from('yes')])));
const pub = await next(3);
const topicLength = pub.readUInt16BE(0);
const received = { topic: pub.subarray(2, 2 + topicLength).toString(), payload: pub.subarray(2 + topicLength).toString() };
socket.destroy();
await broker.close();
console.log(JSON.stringify({ connack: connack[1], subackAllowed, subackDenied, received }));
`;

describe('the packed packages, installed with npm', () => {
  it('embed a broker that enforces plugin-topic-acl', { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      const tarballs = join(dir, 'tarballs');
      for (const pkg of ['core', 'plugin-topic-acl']) {
        // pnpm pack rewrites workspace:^ ranges into real ones, as publishing does.
        await run(process.execPath, [PNPM, 'pack', '--pack-destination', tarballs], {
          cwd: join(ROOT, 'packages', pkg),
        });
      }
      const files = (await readdir(tarballs)).filter((f) => f.endsWith('.tgz')).map((f) => join(tarballs, f));
      expect(files).toHaveLength(2);

      const app = join(dir, 'app');
      await mkdir(app);
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], {
        cwd: app,
        timeout: 110_000,
      });
      await writeFile(join(app, 'check.mjs'), SCRIPT);
      const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: app, timeout: 20_000 });
      expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
        connack: 0,
        subackAllowed: 0,
        subackDenied: 0x80,
        received: { topic: 'allowed/pub', payload: 'yes' },
      });
    });
  });
});
