import { open } from 'lmdb';
import { writeFileSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
const base = '/tmp/corr'; rmSync(base, { recursive: true, force: true });
mkdirSync(base + '/good', { recursive: true });
{ const r = open({ path: base + '/good', maxDbs: 12 }); const m = r.openDB({ name: 'meta' }); r.openDB({ name: 'queue' }); m.putSync('format', { name: 'midge-store', version: 1 }); for (let i=0;i<1000;i++) m.putSync('k'+i, Buffer.alloc(200)); await r.close(); }
mkdirSync(base + '/garbage'); writeFileSync(base + '/garbage/data.mdb', Buffer.alloc(100000, 0x41));
mkdirSync(base + '/zero'); writeFileSync(base + '/zero/data.mdb', Buffer.alloc(100000, 0));
mkdirSync(base + '/empty'); writeFileSync(base + '/empty/data.mdb', '');
const good = readFileSync(base + '/good/data.mdb');
mkdirSync(base + '/trunc'); writeFileSync(base + '/trunc/data.mdb', good.subarray(0, 20000));
mkdirSync(base + '/meta'); const g2 = Buffer.from(good); g2.fill(0x55, 0, 8192); writeFileSync(base + '/meta/data.mdb', g2);
mkdirSync(base + '/mid'); const g3 = Buffer.from(good); g3.fill(0x55, 8192, 40000); writeFileSync(base + '/mid/data.mdb', g3);
mkdirSync(base + '/fresh'); { const r = open({ path: base + '/fresh', maxDbs: 12 }); await r.close(); }
console.log('good size', good.length);
