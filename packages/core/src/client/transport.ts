/**
 * Opens the byte stream under an MQTT connection: TCP, TLS, or a WebSocket (subprotocol `mqtt`) wrapped
 * as a Duplex, so the client reads and writes the same way whatever the transport.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createWebSocketStream, WebSocket } from 'ws';
import { ClientError, ClientErrorCode } from './errors.js';
import type { ResolvedClientOptions } from './options.js';

function pem(value: string | Buffer | undefined, what: string): Buffer | undefined {
  if (value === undefined || Buffer.isBuffer(value)) return value;
  // A string holding PEM text is used as is; anything else is a file path.
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (err) {
    throw new ClientError(
      ClientErrorCode.invalidArgument,
      `cannot read the ${what} file ${value}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function tlsOptions(o: ResolvedClientOptions): tls.ConnectionOptions {
  const t = o.tls;
  const servername = t.servername ?? (net.isIP(o.host) === 0 ? o.host : undefined);
  const ca = pem(t.ca, 'CA');
  const cert = pem(t.cert, 'certificate');
  const key = pem(t.key, 'key');
  return {
    rejectUnauthorized: t.rejectUnauthorized,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    // Node refuses an IP address as SNI name: send none then (the certificate is still checked against the IP).
    ...(servername !== undefined ? { servername } : {}),
    ...(t.insecure ? { checkServerIdentity: () => undefined } : {}),
  };
}

function networkError(o: ResolvedClientOptions, err: unknown): ClientError {
  if (err instanceof ClientError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ClientError(ClientErrorCode.network, `cannot connect to ${describeServer(o)}: ${msg}`, { cause: err });
}

export function describeServer(o: ResolvedClientOptions): string {
  const host = net.isIPv6(o.host) ? `[${o.host}]` : o.host;
  const path = o.transport === 'ws' || o.transport === 'wss' ? o.path : '';
  return `${o.transport}://${host}:${o.port}${path}`;
}

/** Resolves with a connected stream, or rejects with CLIENT_NETWORK / CLIENT_TIMEOUT. */
export function openTransport(o: ResolvedClientOptions, timeoutMs: number): Promise<Duplex> {
  const open = o.stream;
  if (open !== undefined) {
    // A stream the application opens (an in-process pair) is connected once it exists.
    return Promise.resolve()
      .then(open)
      .catch((err: unknown) => {
        throw networkError(o, err);
      });
  }
  return new Promise<Duplex>((resolve, reject) => {
    let stream: Duplex;
    let ws: WebSocket | undefined;
    let ready = 'connect';
    try {
      switch (o.transport) {
        case 'mqtt':
          stream = net.connect({ host: o.host, port: o.port, noDelay: true });
          break;
        case 'mqtts':
          // Small packets (acks, pings) must not wait for Nagle.
          stream = tls.connect({ host: o.host, port: o.port, ...tlsOptions(o) }).setNoDelay(true);
          ready = 'secureConnect';
          break;
        case 'ws':
        case 'wss': {
          const host = net.isIPv6(o.host) ? `[${o.host}]` : o.host;
          ws = new WebSocket(`${o.transport}://${host}:${o.port}${o.path}`, 'mqtt', {
            ...(o.transport === 'wss' ? tlsOptions(o) : {}),
            ...(o.wsHeaders ? { headers: o.wsHeaders } : {}),
            handshakeTimeout: timeoutMs > 0 ? timeoutMs : undefined,
          });
          stream = createWebSocketStream(ws);
          break;
        }
      }
    } catch (err) {
      reject(networkError(o, err));
      return;
    }
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            cleanup();
            stream.destroy();
            reject(
              new ClientError(ClientErrorCode.timeout, `no connection to ${describeServer(o)} within ${timeoutMs} ms`),
            );
          }, timeoutMs)
        : undefined;
    const onReady = () => {
      cleanup();
      resolve(stream);
    };
    const onError = (err: unknown) => {
      cleanup();
      stream.destroy();
      reject(networkError(o, err));
    };
    const cleanup = () => {
      clearTimeout(timer);
      stream.off('error', onError);
      if (ws) ws.off('open', onReady);
      else stream.off(ready, onReady);
    };
    stream.on('error', onError);
    if (ws) ws.once('open', onReady);
    else stream.once(ready, onReady);
  });
}
