import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MidgeError } from '../../src/errors.js';
import { startListener, type Listener } from '../../src/broker/listeners.js';
import { echoServer, listenerConfig, readBytes, waitFor } from './helpers.js';

const open: Listener[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('tcp listener', () => {
  it('binds a free port with port 0 and reports it', async () => {
    const listener = await startListener(listenerConfig(), () => {});
    open.push(listener);
    const { host, port } = listener.address();
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(listener.name).toBe('test');
  });

  it('hands each connection over as a Duplex: bytes flow both ways', async () => {
    const echo = echoServer();
    const listener = await startListener(listenerConfig(), echo.onConnection);
    open.push(listener);
    const client = await connect(listener.address().port);
    // A CONNECT fixed header and a PINGREQ, as MQTT would send.
    const bytes = Buffer.from([0x10, 0x00, 0xc0, 0x00]);
    client.write(bytes);
    expect(await readBytes(client, 4)).toEqual(bytes);
    expect(echo.bytes()).toEqual(bytes);
    expect(echo.infos).toEqual([
      { listener: 'test', remoteAddress: '127.0.0.1', remotePort: client.localPort, secure: false },
    ]);
    expect(listener.connections).toBe(1);
    client.end();
    await waitFor(() => listener.connections === 0, 'the connection count to drop');
    expect(echo.closed()).toBe(1);
  });

  it('close() stops accepting and destroys open connections', async () => {
    const echo = echoServer();
    const listener = await startListener(listenerConfig(), echo.onConnection);
    const { port } = listener.address();
    const client = await connect(port);
    client.on('error', () => {});
    await waitFor(() => echo.streams.length === 1, 'the connection');
    const closed = once(client, 'close');
    await listener.close();
    await closed;
    expect(echo.streams[0]?.destroyed).toBe(true);
    // Closing twice is harmless.
    await listener.close();
    const refused = net.connect(port, '127.0.0.1');
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('survives a client that resets its connection before the broker attaches handlers', async () => {
    // The handler deliberately attaches no 'error' listener: the listener's own must catch ECONNRESET.
    const streams: Duplex[] = [];
    const listener = await startListener(listenerConfig(), (stream) => {
      streams.push(stream);
      stream.write(Buffer.alloc(1024 * 1024)); // pending output makes the reset surface as an error
    });
    open.push(listener);
    const client = await connect(listener.address().port);
    await waitFor(() => streams.length === 1, 'the connection');
    client.resetAndDestroy();
    await waitFor(() => listener.connections === 0, 'the reset connection to close');
  });

  it('rejects with LISTENER_BIND when the port is taken', async () => {
    const first = await startListener(listenerConfig(), () => {});
    open.push(first);
    const port = first.address().port;
    const err = await startListener(listenerConfig({ port, bind: `127.0.0.1:${port}` }), () => {}).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MidgeError);
    expect((err as MidgeError).code).toBe('LISTENER_BIND');
    expect((err as MidgeError).message).toMatch(/listener test: cannot listen on 127\.0\.0\.1:\d+/);
    expect((err as MidgeError).message).toMatch(/another process \(or another listener\) uses this address/);
  });

  it('says an address that is not on this machine is not on it, not "in use" (EADDRNOTAVAIL)', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of a test machine.
    const err = await startListener(listenerConfig({ host: '192.0.2.1', bind: '192.0.2.1:0' }), () => {}).catch(
      (e: unknown) => e,
    );
    expect((err as MidgeError).code).toBe('LISTENER_BIND');
    expect((err as MidgeError).message).toContain('EADDRNOTAVAIL');
    expect((err as MidgeError).message).toMatch(
      /192\.0\.2\.1 is not an address of this machine: set listeners\.test\.bind to one of its addresses .*or to :0 for every interface$/,
    );
    expect((err as MidgeError).message).not.toMatch(/in use|stop the process/);
  });
});
