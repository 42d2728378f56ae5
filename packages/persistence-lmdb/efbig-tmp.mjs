import { open } from 'lmdb';
process.on('SIGXFSZ', () => {});
process.on('unhandledRejection', (e) => console.log('UNHANDLED', e.message));
const opts = JSON.parse(process.argv[3] ?? '{}');
const db = open({ path: process.argv[2], ...opts });
const t = db.openDB({ name: 'x' });
let ok = 0;
const real = (e) => e.commitError ? e.commitError.then(() => e, (r) => r) : Promise.resolve(e);
for (let i = 0; i < 2000; i++) {
  try { await t.put(i, Buffer.alloc(1000, 1)); ok++; } catch (e) { console.log('reject at', i, (await real(e)).message); break; }
}
console.log('tick ok=', ok);
await new Promise((r) => setTimeout(r, 100));
console.log('raise');
const { execFileSync } = await import('node:child_process');
execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited']);
for (let k = 0; k < 3; k++) {
try { await t.put('after'+k, Buffer.alloc(1000)); console.log('write after ok', t.get('after'+k)?.length); } catch (e) { console.log('after failed', (await real(e)).message); }
}
await db.close();
console.log('closed');
const db2 = open({ path: process.argv[2] });
const t2 = db2.openDB({ name: 'x' });
console.log('reopen count', t2.getKeysCount());
