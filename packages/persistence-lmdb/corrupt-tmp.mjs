import { open } from 'lmdb';
import { writeFileSync, mkdirSync, rmSync, truncateSync, readFileSync } from 'node:fs';
const base = '/tmp/corr'; rmSync(base, { recursive: true, force: true });
function tryOpen(dir, o = {}) { try { const r = open({ path: dir, maxDbs: 12, ...o }); const keys = [...r.getKeys()]; const t = r.openDB({name:'meta'}); console.log(dir, 'opened, root keys', keys, 'meta', t.get('format')); r.close(); } catch (e) { console.log(dir, 'ERR', e.code, e.message); } }
// good store
mkdirSync(base + '/good', { recursive: true });
{ const r = open({ path: base + '/good', maxDbs: 12 }); const m = r.openDB({ name: 'meta' }); r.openDB({ name: 'queue' }); m.putSync('format', { name: 'midge-store', version: 1 }); for (let i=0;i<1000;i++) m.putSync('k'+i, Buffer.alloc(200)); await r.close(); }
tryOpen(base + '/good');
// garbage data.mdb
mkdirSync(base + '/garbage'); writeFileSync(base + '/garbage/data.mdb', Buffer.alloc(100000, 0x41)); tryOpen(base + '/garbage');
// zero-filled
mkdirSync(base + '/zero'); writeFileSync(base + '/zero/data.mdb', Buffer.alloc(100000, 0)); tryOpen(base + '/zero');
// empty data.mdb
mkdirSync(base + '/empty'); writeFileSync(base + '/empty/data.mdb', ''); tryOpen(base + '/empty');
// truncated good
mkdirSync(base + '/trunc'); const good = readFileSync(base + '/good/data.mdb'); writeFileSync(base + '/trunc/data.mdb', good.subarray(0, 20000)); tryOpen(base + '/trunc');
// corrupt meta pages (first 2 pages) of good
mkdirSync(base + '/meta'); const g2 = Buffer.from(good); g2.fill(0x55, 0, 8192); writeFileSync(base + '/meta/data.mdb', g2); tryOpen(base + '/meta');
// fresh env just opened and closed (crash before meta)
mkdirSync(base + '/fresh'); { const r = open({ path: base + '/fresh', maxDbs: 12 }); await r.close(); } tryOpen(base + '/fresh');
// readonly non-existent db
tryOpen(base + '/fresh', { readOnly: true });
