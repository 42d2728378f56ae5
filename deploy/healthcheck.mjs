#!/usr/bin/env node
// Container health check: is the broker answering MQTT on this host? Sends an MQTT 3.1.1 CONNECT and waits
// for a CONNACK (any return code: a broker that refuses an unknown client is alive). Exit 0 healthy, 1 not.
// Uses only Node and needs no config. The image also ships @midge/plugin-admin: where a config turns it on,
// its /healthz and /readyz answer the same question over HTTP, on the admin port.
//   node healthcheck.mjs [host] [port] [timeout ms]
import net from 'node:net';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 1883);
const timeoutMs = Number(process.argv[4] ?? 3000);
const clientId = Buffer.from(`healthcheck-${process.pid}`);
// CONNECT: protocol "MQTT" level 4, clean session, keepalive 10 s, the client id.
const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a]);
const payload = Buffer.concat([Buffer.from([clientId.length >> 8, clientId.length & 0xff]), clientId]);
const connect = Buffer.concat([Buffer.from([0x10, variable.length + payload.length]), variable, payload]);
// DISCONNECT, so the broker logs a clean goodbye rather than a dropped connection.
const disconnect = Buffer.from([0xe0, 0x00]);

const socket = net.connect({ host, port });
const fail = (why) => {
  process.stderr.write(`unhealthy: ${why}\n`);
  socket.destroy();
  process.exit(1);
};
const timer = setTimeout(() => fail(`no CONNACK from ${host}:${port} within ${timeoutMs} ms`), timeoutMs);
socket.on('error', (err) => fail(`${host}:${port}: ${err.message}`));
socket.on('connect', () => socket.write(connect));
socket.on('data', (data) => {
  if (data[0] !== 0x20) fail(`expected CONNACK, got packet type ${data[0] >> 4}`);
  clearTimeout(timer);
  socket.end(disconnect, () => process.exit(0));
});
