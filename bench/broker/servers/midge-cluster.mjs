// A Midge node of a cluster for bench/broker/cluster.mjs: the built packages, as servers/midge.mjs runs
// Midge, plus the plugins given as JSON (the cluster plugin and its options).
//   node servers/midge-cluster.mjs <port> '<plugins as JSON>'
import process from 'node:process';
import { createBroker } from '@midge/mqtt-core';

const port = Number(process.argv[2]);
const plugins = JSON.parse(process.argv[3] ?? '{}');
const broker = await createBroker({
  listeners: { default: { type: 'tcp', bind: `127.0.0.1:${port}`, max_connections: 0 } },
  plugins,
  log_level: 'warn',
  max_queued_messages: 1_000_000,
  max_inflight_messages: 100,
});
await broker.start();
process.on('SIGTERM', () => void broker.close().finally(() => process.exit(0)));
process.stdout.write('ready\n');
