import { once } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener, type Listener } from '../../src/broker/listeners.js';
import { echoServer, listenerConfig, readBytes, waitFor } from './helpers.js';

const open: Listener[] = [];
const sockets: { destroy(): void }[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function tcpClient(port: number): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  sockets.push(socket);
  return socket;
}

async function echoes(socket: net.Socket | WebSocket, byte: number): Promise<boolean> {
  const payload = Buffer.from([0xc0, byte]);
  if (socket instanceof WebSocket) socket.send(payload);
  else socket.write(payload);
  return readBytes(socket, 2).then(
    (got) => got.equals(payload),
    () => false,
  );
}

describe('max_connections', () => {
  it('tcp: with a limit of 2 the third client is refused, the first two keep working, a freed slot is reused', async () => {
    const echo = echoServer();
    const warnings: object[] = [];
    const listener = await startListener(listenerConfig({ max_connections: 2 }), echo.onConnection, {
      warn: (obj) => warnings.push(obj),
    });
    open.push(listener);
    const { port } = listener.address();

    const first = tcpClient(port);
    const second = tcpClient(port);
    // The count rises at accept: wait for both before trying a third.
    await waitFor(() => echo.infos.length === 2, 'two accepted connections');

    const third = tcpClient(port);
    await new Promise((resolve) => third.once('close', resolve));
    expect(echo.infos).toHaveLength(2);
    await waitFor(() => warnings.length === 1, 'the refusal to be logged');
    expect(warnings[0]).toMatchObject({ listener: 'test', max_connections: 2, remoteAddress: '127.0.0.1' });

    expect(await echoes(first, 1)).toBe(true);
    expect(await echoes(second, 2)).toBe(true);
    expect(listener.connections).toBe(2);

    first.end();
    await waitFor(() => listener.connections === 1, 'the closed connection to free its slot');
    const fourth = tcpClient(port);
    expect(await echoes(fourth, 4)).toBe(true);
    expect(echo.infos).toHaveLength(3);
  });

  it('ws: the excess WebSocket gets 503 before the upgrade', async () => {
    const echo = echoServer();
    const warnings: object[] = [];
    const listener = await startListener(listenerConfig({ type: 'ws', max_connections: 2 }), echo.onConnection, {
      warn: (obj) => warnings.push(obj),
    });
    open.push(listener);
    const url = `ws://127.0.0.1:${listener.address().port}/`;
    const ws = (): WebSocket => {
      const c = new WebSocket(url, 'mqtt');
      c.on('error', () => {});
      sockets.push({ destroy: () => c.terminate() });
      return c;
    };

    const first = ws();
    const second = ws();
    await Promise.all([once(first, 'open'), once(second, 'open')]);

    const third = ws();
    const [, res] = (await once(third, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(503);
    expect(echo.infos).toHaveLength(2);
    expect(warnings).toHaveLength(1);

    expect(await echoes(first, 1)).toBe(true);
    expect(await echoes(second, 2)).toBe(true);

    first.close();
    await waitFor(() => listener.connections === 1, 'the closed WebSocket to free its slot');
    const fourth = ws();
    await once(fourth, 'open');
    expect(await echoes(fourth, 4)).toBe(true);
  });
});
