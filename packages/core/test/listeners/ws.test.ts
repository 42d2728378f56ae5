import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startListener, type Listener } from '../../src/broker/listeners.js';
import { echoServer, listenerConfig, makeCerts, readBytes, waitFor, type TestCerts } from './helpers.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.cleanup());

const open: Listener[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(open.splice(0).map((l) => l.close()));
});

/** A client WebSocket; `protocols: []` sends no Sec-WebSocket-Protocol header. */
function client(url: string, protocols: string | string[] = 'mqtt', options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, protocols, options);
  ws.on('error', () => {});
  clients.push(ws);
  return ws;
}

/** The HTTP status a refused upgrade answered with. */
async function refusedStatus(ws: WebSocket): Promise<number> {
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
  return res.statusCode ?? 0;
}

describe('ws listener', () => {
  it('[MQTT-6.0.0-4] selects the mqtt subprotocol and hands the WebSocket over as a Duplex', async () => {
    const echo = echoServer();
    const listener = await startListener(listenerConfig({ type: 'ws' }), echo.onConnection);
    open.push(listener);
    const ws = client(`ws://127.0.0.1:${listener.address().port}/mqtt`, ['mqtt']);
    await once(ws, 'open');
    expect(ws.protocol).toBe('mqtt');
    // [MQTT-6.0.0-2] one MQTT packet may span several WebSocket frames.
    ws.send(Buffer.from([0x10, 0x02]));
    ws.send(Buffer.from([0x00, 0x00]));
    expect(await readBytes(ws, 4)).toEqual(Buffer.from([0x10, 0x02, 0x00, 0x00]));
    expect(echo.bytes()).toEqual(Buffer.from([0x10, 0x02, 0x00, 0x00]));
    expect(echo.infos[0]).toMatchObject({ listener: 'test', remoteAddress: '127.0.0.1', secure: false });
    expect(listener.connections).toBe(1);
    ws.close();
    await waitFor(() => listener.connections === 0, 'the connection count to drop');
    // The broker learns that the client left from 'close', as with a TCP socket.
    await waitFor(() => echo.closed() === 1, "the Duplex's close event");
  });

  it('writes on the Duplex reach the client as binary frames', async () => {
    const listener = await startListener(listenerConfig({ type: 'ws' }), (stream) => {
      stream.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // a CONNACK
    });
    open.push(listener);
    const ws = client(`ws://127.0.0.1:${listener.address().port}/`);
    const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    expect(isBinary).toBe(true);
    expect(data).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
  });

  it('accepts mqttv3.1 from old clients, and clients that offer no subprotocol', async () => {
    const listener = await startListener(listenerConfig({ type: 'ws' }), () => {});
    open.push(listener);
    const url = `ws://127.0.0.1:${listener.address().port}/`;
    const old = client(url, ['mqttv3.1']);
    await once(old, 'open');
    expect(old.protocol).toBe('mqttv3.1');
    const both = client(url, ['mqttv3.1', 'mqtt']);
    await once(both, 'open');
    expect(both.protocol).toBe('mqtt');
    const none = client(url, []);
    await once(none, 'open');
    expect(none.protocol).toBe('');
  });

  it('[MQTT-6.0.0-3] refuses a client that offers only other subprotocols', async () => {
    const echo = echoServer();
    const listener = await startListener(listenerConfig({ type: 'ws' }), echo.onConnection);
    open.push(listener);
    const ws = client(`ws://127.0.0.1:${listener.address().port}/`, ['chat']);
    expect(await refusedStatus(ws)).toBe(400);
    expect(echo.infos).toHaveLength(0);
  });

  it('accepts any path when path is unset', async () => {
    const listener = await startListener(listenerConfig({ type: 'ws' }), () => {});
    open.push(listener);
    const ws = client(`ws://127.0.0.1:${listener.address().port}/any/where?x=1`);
    await once(ws, 'open');
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('with path: /mqtt, accepts /mqtt and refuses /other with 404', async () => {
    const echo = echoServer();
    const listener = await startListener(listenerConfig({ type: 'ws', path: '/mqtt' }), echo.onConnection);
    open.push(listener);
    const port = listener.address().port;
    const other = client(`ws://127.0.0.1:${port}/other`);
    expect(await refusedStatus(other)).toBe(404);
    const good = client(`ws://127.0.0.1:${port}/mqtt?client=1`);
    await once(good, 'open');
    expect(echo.infos).toHaveLength(1);
  });

  it('answers a plain HTTP request with 426 (or 404 off the path) without crashing', async () => {
    const listener = await startListener(listenerConfig({ type: 'ws', path: '/mqtt' }), () => {});
    open.push(listener);
    const port = listener.address().port;
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      await res.arrayBuffer();
      return res.status;
    };
    expect(await get('/mqtt')).toBe(426);
    expect(await get('/other')).toBe(404);
  });

  it('close() destroys open WebSocket connections', async () => {
    const echo = echoServer();
    const listener = await startListener(listenerConfig({ type: 'ws' }), echo.onConnection);
    const ws = client(`ws://127.0.0.1:${listener.address().port}/`);
    await once(ws, 'open');
    const closed = once(ws, 'close');
    await listener.close();
    await closed;
    await waitFor(() => echo.closed() === 1, "the Duplex's close event");
  });
});

describe('wss listener', () => {
  it('hands each secure WebSocket over as a Duplex: bytes flow both ways', async () => {
    const echo = echoServer();
    const listener = await startListener(
      listenerConfig({ type: 'ws', ssl: true, certfile: certs.serverCert, keyfile: certs.serverKey }),
      echo.onConnection,
    );
    open.push(listener);
    const ws = client(`wss://127.0.0.1:${listener.address().port}/mqtt`, 'mqtt', { ca: readFileSync(certs.ca) });
    await once(ws, 'open');
    expect(ws.protocol).toBe('mqtt');
    ws.send(Buffer.from([0xc0, 0x00]));
    expect(await readBytes(ws, 2)).toEqual(Buffer.from([0xc0, 0x00]));
    expect(echo.bytes()).toEqual(Buffer.from([0xc0, 0x00]));
    expect(echo.infos[0]).toMatchObject({ secure: true, remoteAddress: '127.0.0.1' });
  });

  it('require_certificate: refuses a client without a certificate, accepts one with', async () => {
    const echo = echoServer();
    const listener = await startListener(
      listenerConfig({
        type: 'ws',
        ssl: true,
        certfile: certs.serverCert,
        keyfile: certs.serverKey,
        cafile: certs.ca,
        require_certificate: true,
      }),
      echo.onConnection,
    );
    open.push(listener);
    const url = `wss://127.0.0.1:${listener.address().port}/`;
    const anonymous = client(url, 'mqtt', { ca: readFileSync(certs.ca) });
    // Not events.once: it would reject on the 'error' that precedes 'close'.
    await new Promise((resolve) => anonymous.once('close', resolve));
    expect(echo.infos).toHaveLength(0);
    const withCert = client(url, 'mqtt', {
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    await once(withCert, 'open');
    expect(echo.infos).toHaveLength(1);
  });
});
