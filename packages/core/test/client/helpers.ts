import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PacketDecoder, encodePacket, type Packet } from '../../src/codec/index.js';
import type { MqttClient } from '../../src/client/index.js';
import type { ClientMessage, MqttClientEventName, MqttClientEvents } from '../../src/client/index.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const hasMosquitto = existsSync(MOSQUITTO);

/** Resolves with the next `event` of `client` (its arguments). */
export function nextEvent<K extends MqttClientEventName>(
  client: MqttClient,
  event: K,
  timeoutMs = 10_000,
): Promise<MqttClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event within ${timeoutMs} ms`)), timeoutMs);
    client.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Collects `n` messages from the 'message' event. */
export function collect(client: MqttClient, n: number, timeoutMs = 10_000): Promise<ClientMessage[]> {
  return new Promise((resolve, reject) => {
    const got: ClientMessage[] = [];
    const timer = setTimeout(
      () => reject(new Error(`got ${got.length} of ${n} messages within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const on = (m: ClientMessage) => {
      got.push(m);
      if (got.length === n) {
        clearTimeout(timer);
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** A real mosquitto on 127.0.0.1 with anonymous access, for interop; waits until it accepts connections. */
export async function startMosquitto(): Promise<Mosquitto> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'midge-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`mosquitto did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy in front of a broker, so a test can cut connections "server-side". */
export interface Proxy {
  readonly port: number;
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Destroys every open connection (both sides). */
  cut(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let accepted = 0;
  const server = net.createServer((inbound) => {
    accepted++;
    const outbound = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const drop = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    accepted: () => accepted,
    cut: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A scripted MQTT server: `onPacket(packet, reply, socket, connectionIndex)` for every packet received. */
export interface FakeServer {
  readonly port: number;
  readonly url: string;
  readonly received: { conn: number; packet: Packet }[];
  close(): Promise<void>;
}

export async function startFakeServer(
  onPacket: (packet: Packet, reply: (p: Packet) => void, socket: net.Socket, conn: number) => void,
): Promise<FakeServer> {
  const received: { conn: number; packet: Packet }[] = [];
  const sockets = new Set<net.Socket>();
  let conns = 0;
  const server = net.createServer((socket) => {
    const conn = conns++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new PacketDecoder();
    // Answers use the level the client's CONNECT asked for.
    const reply = (p: Packet) => {
      if (!socket.destroyed) socket.write(encodePacket(p, decoder.protocolVersion));
    };
    socket.on('data', (chunk: Buffer) => {
      decoder.feed(chunk, (packet) => {
        const copy = packet.type === 'publish' ? { ...packet, payload: Buffer.from(packet.payload) } : packet;
        received.push({ conn, packet: copy });
        onPacket(copy, reply, socket, conn);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
