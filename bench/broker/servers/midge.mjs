// Midge for the broker benchmark: the BUILT package (dist), run like the `midge` binary runs it, no plugins (no auth plugin: everyone is
// admitted; no logging, no $SYS), unlimited connections, log level warn.
//   node servers/midge.mjs <port> [<data dir> <sync>]
// With a data dir, the broker persists there as `persistence: { path, sync }` in a config file would have it
// (the default store, @midge/persistence-lmdb); without one, state stays in memory.
// brokers.mjs starts it with --max-semi-space-size=4, as the `midge` binary runs the broker.
import process from 'node:process';
import { createBroker } from '@midge/mqtt-core';

const port = Number(process.argv[2]);
const [dataDir, sync] = process.argv.slice(3);
const broker = await createBroker({
  listeners: { default: { type: 'tcp', bind: `127.0.0.1:${port}`, max_connections: 0 } },
  plugins: {},
  log_level: 'warn',
  // Like Mosquitto's max_queued_messages in the benchmark: high enough that no scenario drops on it.
  max_queued_messages: 1_000_000,
  // Default 20 (like Mosquitto's); Aedes has no limit. 100 for both Midge and Mosquitto so QoS 1
  // scenarios measure the broker rather than the round trips of a 20-message window (bench/README.md).
  max_inflight_messages: 100,
  ...(dataDir !== undefined ? { persistence: { path: dataDir, sync: sync ?? 'batch', ...storeOverride() } } : {}),
});
await broker.start();

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
