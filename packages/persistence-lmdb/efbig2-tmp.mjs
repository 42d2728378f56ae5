import { open } from 'lmdb';
process.on('SIGXFSZ', () => {});
const seen = [];
process.on('unhandledRejection', (e, p) => console.log('UNHANDLED', e.message, 'isCommitError', seen.includes(p), 'isPut', puts.includes(p)));
const db = open({ path: process.argv[2] });
const t = db.openDB({ name: 'x' });
const puts = [];
for (let i = 0; i < 2000; i++) {
  const p = t.put(i, Buffer.alloc(1000, 1)); puts.push(p);
  try { await p; } catch (e) { seen.push(e.commitError); console.log('reject at', i, e.commitError === undefined); e.commitError.catch(()=>{}); break; }
}
await new Promise((r) => setTimeout(r, 100));
console.log('end');
