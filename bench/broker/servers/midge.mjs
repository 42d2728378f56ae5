// Midge for the broker benchmark: the BUILT package (dist), run like the `midge` binary runs it, no plugins (no auth plugin: everyone is
// admitted; no logging, no $SYS), unlimited connections, log level warn.
//   node servers/midge.mjs <port> [<data dir> <sync>]
// With a data dir, the broker persists there as `persistence: { path, sync }` in a config file would have it
// (the default store, @midge/persistence-lmdb); without one, state stays in memory.
// brokers.mjs starts it with --max-semi-space-size=4, as the `midge` binary runs the broker.
import { spawn, spawnSync } from 'node:child_process';
import process from 'node:process';
import { createBroker } from '@midge/mqtt-core';

const port = Number(process.argv[2]);
const [dataDir, sync] = process.argv.slice(3);
// BENCH_ADMIN=1 (brokers.mjs kind midge-admin): with @midge/plugin-admin on a free loopback port.
const admin = process.env.BENCH_ADMIN === '1';
const broker = await createBroker({
  listeners: { default: { type: 'tcp', bind: `127.0.0.1:${port}`, max_connections: 0 } },
  plugins: admin ? { '@midge/plugin-admin': { bind: '127.0.0.1:0' } } : {},
  log_level: 'warn',
  // Like Mosquitto's max_queued_messages in the benchmark: high enough that no scenario drops on it.
  max_queued_messages: 1_000_000,
  // Default 20 (like Mosquitto's); Aedes has no limit. 100 for both Midge and Mosquitto so QoS 1
  // scenarios measure the broker rather than the round trips of a 20-message window (bench/README.md).
  max_inflight_messages: 100,
  ...(dataDir !== undefined ? { persistence: { path: dataDir, sync: sync ?? 'batch', ...storeOverride() } } : {}),
});
await broker.start();
if (admin && process.env.BENCH_ADMIN_SCRAPE !== '0') scrapeEverySecond();

/**
 * Scrapes /metrics every second, as a Prometheus 15 times more eager than its default would, from another
 * process on the load generator's CPU (Prometheus runs elsewhere too): serving the scrape is the broker's
 * cost, the scraping client is not. The admin server's port comes from the running broker's handles (port 0
 * picked a free one).
 */
function scrapeEverySecond() {
  const ports = process
    ._getActiveHandles()
    .filter((h) => h?.constructor?.name === 'Server' && typeof h.address === 'function')
    .map((h) => h.address()?.port)
    .filter((p) => p !== undefined && p !== port);
  const adminPort = ports[0];
  if (adminPort === undefined) throw new Error('midge-admin: the admin server is not listening');
  const script = `setInterval(() => fetch('http://127.0.0.1:${adminPort}/metrics').then((r) => r.text()).catch(() => {}), 1000);`;
  const pinned = spawnSync('taskset', ['-V']).status === 0;
  const child = pinned
    ? spawn('taskset', ['-c', '1', process.execPath, '-e', script], { stdio: 'ignore' })
    : spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  process.on('exit', () => child.kill());
}
/** BENCH_STORE=<module path or package>: another store than the default (diagnostics, e.g. two builds A/B). */
function storeOverride() {
  const store = process.env.BENCH_STORE;
  return store ? { store } : {};
}
// A plain exit (not a signal death) so `node --cpu-prof` writes its profile. BENCH_GRACEFUL_STOP=1
// (offline-drain.mjs, which times shutdown and restart): first close the broker as the `midge` binary does on
// SIGTERM (clients disconnected, the store closed).
process.on('SIGTERM', () => {
  if (process.env.BENCH_GRACEFUL_STOP === '1') void broker.close().finally(() => process.exit(0));
  else process.exit(0);
});
process.stdout.write('ready\n');
