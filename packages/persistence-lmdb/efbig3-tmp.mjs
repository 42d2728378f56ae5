import { createHook } from 'node:async_hooks';
const stacks = new WeakMap();
let on = false;
createHook({ init(id, type, trig, res) { if (on && type === 'PROMISE') stacks.set(res, new Error().stack); } }).enable();
import { open } from 'lmdb';
process.on('SIGXFSZ', () => {});
process.on('unhandledRejection', (e, p) => console.log('UNHANDLED', e.message, stacks.get(p)));
const db = open({ path: process.argv[2] });
const t = db.openDB({ name: 'x' });
for (let i = 0; i < 2000; i++) {
  on = i > 725;
  const p = t.put(i, Buffer.alloc(1000, 1));
  try { await p; } catch (e) { console.log('reject at', i); e.commitError.catch(()=>{}); break; }
}
await new Promise((r) => setTimeout(r, 100));
console.log('end');
