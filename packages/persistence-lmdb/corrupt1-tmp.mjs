import { open } from 'lmdb';
const dir = process.argv[2];
const o = JSON.parse(process.argv[3] ?? '{}');
try { const r = open({ path: dir, maxDbs: 12, ...o }); console.log('env opened'); const keys = [...r.getKeys()]; console.log('root keys', keys); const t = r.openDB({name:'meta'}); console.log('meta', t.get('format')); r.close(); } catch (e) { console.log(dir, 'ERR', e.code, e.message); }
