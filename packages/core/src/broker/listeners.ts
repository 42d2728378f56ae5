/**
 * Network listeners: TCP, TLS, WebSocket and secure WebSocket. Each accepted connection is handed to
 * the broker as a plain byte Duplex, so the rest of the broker does not care about the transport.
 */

import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { MidgeError } from '../errors.js';
import type { ListenerConfig } from '../config/types.js';
import { describeTlsProblems, loadTlsMaterial } from '../config/tls-material.js';
import { ThrottledLog, type WarnLog } from './throttled-log.js';
import { certificateIdentity } from './certificate-identity.js';

/** Where a connection came from: a listener's hand-over, or `broker.handle()`'s info. */
export interface ConnectionInfo {
  /** The listener's name (its key under `listeners:`). */
  readonly listener: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** TLS or WSS. */
  readonly secure: boolean;
  /**
   * On a listener with `use_identity_as_username`: the username its verified client certificate gives
   * (certificate-identity.ts), or null when the certificate lacks that field (the CONNECT is refused).
   * Undefined elsewhere: the CONNECT's username and the authentication plugins decide.
   */
  readonly certificateUsername?: string | null;
}

export interface Listener {
  readonly name: string;
  readonly config: ListenerConfig;
  /** The actual bound address after start (the real port when the config said 0). */
  address(): { host: string; port: number };
  /** Stops accepting, destroys open connections and resolves when the server is closed. */
  close(): Promise<void>;
  /** Open connections (for ws: WebSocket connections, handshakes in progress included). */
  readonly connections: number;
  /**
   * tls/wss: reads the certificate, key and CA files of `config` again and, when their contents changed,
   * gives them to new handshakes (open connections keep theirs); resolves true then, false when nothing
   * changed (or the listener has no TLS). Rejects (the old material staying in use) when they cannot be read.
   */
  reloadTls(config: ListenerConfig): Promise<boolean>;
}

export type ListenerLog = WarnLog;

export interface ListenerOptions {
  /**
   * ws/wss: the largest WebSocket message accepted, in bytes (ws buffers a whole message before
   * handing it over). The broker passes max_packet_size. Default: the ws package's 100 MiB.
   */
  maxWebSocketPayload?: number;
  /**
   * tls, ws and wss: milliseconds a connection gets from accept until it is handed over (TLS handshake,
   * then the HTTP upgrade); past it the socket is destroyed, so a half-sent upgrade cannot hold a socket
   * forever. The broker passes connect_timeout (the CONNECT timer takes over after the hand-over).
   * Default: no limit of our own (Node's TLS handshake timeout and HTTP header timeout apply).
   */
  handshakeTimeoutMs?: number;
  /**
   * Accept errors (EMFILE, ENFILE...) and connection setup failures are logged at most once per cause per
   * this many milliseconds, with how many were not logged in between. Default 60 s (limit_log_interval).
   */
  errorLogIntervalMs?: number;
}

export type ConnectionHandler = (stream: Duplex, info: ConnectionInfo) => void;

/** WebSocket subprotocols we speak, in order of preference [MQTT-6.0.0-3]; 'mqttv3.1' for old clients. */
const WS_PROTOCOLS = ['mqtt', 'mqttv3.1'] as const;

// Sockets must never raise an unhandled 'error' (it would crash the process): the broker adds its
// own handlers, but a socket can fail (ECONNRESET) before it does. The socket's 'close' follows,
// which is what the broker acts on.
const ignoreError = (): void => {};

/** Destroys a socket whose TLS handshake or HTTP upgrade did not finish in time (a timer callback). */
function handshakeTimedOut(socket: Duplex): void {
  socket.destroy();
}

/**
 * Binds the listener described by `config` and calls `onConnection` for every accepted connection.
 * Rejects with a MidgeError when the certificates cannot be read or the address cannot be bound.
 */
export async function startListener(
  config: ListenerConfig,
  onConnection: ConnectionHandler,
  log?: ListenerLog,
  options: ListenerOptions = {},
): Promise<Listener> {
  const tlsOptions = config.ssl ? await loadTlsOptions(config) : undefined;
  const listener =
    config.type === 'ws'
      ? new WsListener(config, onConnection, log, tlsOptions, options)
      : new TcpListener(config, onConnection, log, tlsOptions, options);
  if (tlsOptions !== undefined) listener.tlsSignature = tlsSignature(tlsOptions);
  await listener.listen();
  return listener;
}

/** What identifies the TLS material in use: a reload applies files whose contents differ from it. */
function tlsSignature(options: tls.TlsOptions): string {
  const hash = createHash('sha256');
  for (const part of [options.cert, options.key, ...(Array.isArray(options.ca) ? options.ca : [options.ca])]) {
    if (part === undefined) continue;
    hash.update(typeof part === 'string' ? part : Buffer.isBuffer(part) ? part : JSON.stringify(part));
    hash.update('\0');
  }
  return hash.digest('hex');
}

abstract class BaseListener implements Listener {
  readonly name: string;
  /** Every raw socket accepted, so close() can destroy them (upgraded ones included). */
  protected readonly sockets = new Set<net.Socket>();
  /** Accept errors and setup failures, one line per cause per interval (EMFILE comes thousands of times a second). */
  protected readonly errors: ThrottledLog;
  #closing: Promise<void> | undefined;
  /** Of the TLS material new handshakes use (tls/wss listeners). */
  tlsSignature: string | undefined;

  protected constructor(
    readonly config: ListenerConfig,
    protected readonly server: net.Server,
    protected readonly log: ListenerLog | undefined,
    options: ListenerOptions,
  ) {
    this.name = config.name;
    this.errors = new ThrottledLog(log, options.errorLogIntervalMs ?? 60_000);
    // Registered before any protocol-specific 'connection' handling, so tracking sees every socket.
    // One 'close' handler for every socket of this listener (`this` is the socket): no closure per socket.
    const sockets = this.sockets;
    function untrack(this: net.Socket): void {
      sockets.delete(this);
    }
    server.on('connection', (socket: net.Socket) => {
      socket.on('error', ignoreError);
      sockets.add(socket);
      socket.on('close', untrack);
    });
  }

  abstract get connections(): number;

  listen(): Promise<void> {
    const { host, port } = this.config;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new MidgeError(
            'LISTENER_BIND',
            `listener ${this.name}: cannot listen on ${this.config.bind} (${err.message}); ${bindFix(this.config, err.code)}`,
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ port, host: host === '' ? undefined : host }, () => {
        this.server.off('error', onError);
        // After listen, server errors (EMFILE or ENFILE on accept...) are logged instead of crashing; the
        // server keeps listening and accepts again once descriptors are free.
        this.server.on('error', (err: NodeJS.ErrnoException) => {
          const cause = err.code ?? 'error';
          this.errors.warn(
            cause,
            cause === 'EMFILE' || cause === 'ENFILE'
              ? 'cannot accept connections: out of file descriptors (raise the open files limit, ulimit -n)'
              : 'listener error',
            { listener: this.name, err, cause },
          );
        });
        resolve();
      });
    });
  }

  address(): { host: string; port: number } {
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') return { host: this.config.host, port: this.config.port };
    return { host: addr.address, port: addr.port };
  }

  async reloadTls(config: ListenerConfig): Promise<boolean> {
    if (!config.ssl || !(this.server instanceof tls.Server)) return false;
    const options = await loadTlsOptions(config);
    const signature = tlsSignature(options);
    if (signature === this.tlsSignature) return false;
    this.server.setSecureContext(options);
    this.tlsSignature = signature;
    return true;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      // The callback runs once every connection is gone, which the loop below ensures.
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.#closing;
  }

  protected refused(remoteAddress: string | undefined, remotePort: number | undefined): void {
    this.log?.warn(
      {
        listener: this.name,
        remoteAddress,
        remotePort,
        max_connections: this.config.max_connections,
      },
      'connection refused: max_connections reached',
    );
  }

  /**
   * Hands a connection to the broker. Nothing thrown there may reach the server's event handlers (an
   * exception in a 'connection' listener ends the process): it is logged and only that socket is closed.
   */
  protected handOver(onConnection: ConnectionHandler, stream: Duplex, info: ConnectionInfo): void {
    try {
      onConnection(stream, info);
    } catch (err) {
      this.errors.warn('setup', 'connection setup failed; socket closed', {
        listener: this.name,
        err,
        remoteAddress: info.remoteAddress,
        cause: 'setup',
      });
      stream.destroy();
    }
  }

  protected info(socket: net.Socket): ConnectionInfo {
    const info = {
      listener: this.name,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      secure: this.config.ssl,
    };
    const field = this.config.use_identity_as_username;
    if (field === false || !(socket instanceof tls.TLSSocket)) return info;
    // Verified by the handshake (require_certificate: rejectUnauthorized), so the certificate may name the client.
    const username = socket.authorized ? certificateIdentity(socket.getPeerCertificate(), field) : undefined;
    return { ...info, certificateUsername: username ?? null };
  }
}

/** tcp, and tls when `ssl: true`. */
class TcpListener extends BaseListener {
  constructor(
    config: ListenerConfig,
    onConnection: ConnectionHandler,
    log: ListenerLog | undefined,
    tlsOptions: tls.TlsOptions | undefined,
    options: ListenerOptions,
  ) {
    const server =
      tlsOptions === undefined
        ? net.createServer({ noDelay: true })
        : tls.createServer({ ...tlsOptions, ...handshakeOption(options), noDelay: true });
    super(config, server, log, options);

    if (config.max_connections > 0) {
      // Node closes excess sockets at accept, before any TLS work, and counts a socket until it closes.
      server.maxConnections = config.max_connections;
      server.on('drop', (data?: net.DropArgument) => this.refused(data?.remoteAddress, data?.remotePort));
    }

    if (tlsOptions === undefined) {
      server.on('connection', (socket: net.Socket) => {
        this.handOver(onConnection, socket, this.info(socket));
        // The handler added its own 'error' listener: drop the guard, so the socket keeps one listener
        // instead of an array of two.
        if (socket.listenerCount('error') > 1) socket.removeListener('error', ignoreError);
      });
    } else {
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        socket.on('error', ignoreError);
        this.handOver(onConnection, socket, this.info(socket));
      });
      // Failed handshakes (no or untrusted client certificate, plain TCP to a TLS port): the socket
      // is destroyed by Node; say why, since that is what an operator debugging certificates needs.
      server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
        this.log?.warn(
          { listener: this.name, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, err: err.message },
          'TLS handshake failed',
        );
      });
    }
  }

  get connections(): number {
    return this.sockets.size;
  }
}

/** ws, and wss when `ssl: true`. */
class WsListener extends BaseListener {
  #active = 0;
  /** Sockets whose upgrade has not completed yet, and the timer that drops them. */
  readonly #upgradeTimers = new WeakMap<Duplex, NodeJS.Timeout>();

  constructor(
    config: ListenerConfig,
    onConnection: ConnectionHandler,
    log: ListenerLog | undefined,
    tlsOptions: tls.TlsOptions | undefined,
    options: ListenerOptions,
  ) {
    const server =
      tlsOptions === undefined
        ? http.createServer()
        : https.createServer({ ...tlsOptions, ...handshakeOption(options) });
    super(config, server, log, options);

    // The HTTP upgrade gets handshakeTimeoutMs from the moment the socket is usable (after TLS for wss):
    // a client that sends half an upgrade request and stops is dropped instead of held forever.
    const upgradeTimeout = options.handshakeTimeoutMs;
    if (upgradeTimeout !== undefined && upgradeTimeout > 0) {
      server.on(tlsOptions === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => {
        const timer = setTimeout(handshakeTimedOut, upgradeTimeout, socket);
        timer.unref();
        this.#upgradeTimers.set(socket, timer);
        socket.once('close', () => clearTimeout(timer));
      });
    }

    const wss = new WebSocketServer({
      noServer: true,
      // MQTT works on binary frames; compression would cost CPU and opens the door to zip bombs.
      perMessageDeflate: false,
      ...(options.maxWebSocketPayload === undefined ? {} : { maxPayload: options.maxWebSocketPayload }),
      // Only called when the client offered protocols; the upgrade handler already checked that
      // one of ours is among them [MQTT-6.0.0-4].
      handleProtocols: (offered: Set<string>) => WS_PROTOCOLS.find((p) => offered.has(p)) ?? false,
    });

    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const found = this.#pathAccepted(req.url);
      res.writeHead(found ? 426 : 404, { Connection: 'close', 'Content-Type': 'text/plain' });
      res.end(
        found
          ? 'This is an MQTT over WebSocket endpoint: upgrade to a WebSocket with subprotocol mqtt\n'
          : 'Not Found\n',
      );
    });

    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', ignoreError);
      if (!this.#pathAccepted(req.url)) return rejectUpgrade(socket, 404, 'Not Found');
      if (!offersMqtt(req.headers['sec-websocket-protocol'])) {
        return rejectUpgrade(socket, 400, 'Bad Request', 'WebSocket subprotocol mqtt required');
      }
      const max = this.config.max_connections;
      if (max > 0 && this.#active >= max) {
        this.refused(req.socket.remoteAddress, req.socket.remotePort);
        return rejectUpgrade(socket, 503, 'Service Unavailable');
      }
      // Counted from the upgrade request until the socket closes, whether the handshake completes or not.
      this.#active++;
      socket.once('close', () => this.#active--);
      const info = this.info(req.socket);
      wss.handleUpgrade(req, socket, head, (ws) => {
        // Upgraded: from here the broker's CONNECT timer watches the connection.
        const timer = this.#upgradeTimers.get(socket);
        if (timer !== undefined) clearTimeout(timer);
        const stream = createWebSocketStream(ws);
        stream.on('error', ignoreError);
        // The ws stream only ends its readable side when the WebSocket closes and never emits
        // 'close' unless destroyed. Destroy it then, like a net.Socket whose peer went away, so the
        // broker sees 'close' on every transport: after 'end' (all data read), or right away when
        // nothing is left to read.
        stream.once('end', () => stream.destroy());
        ws.once('close', () => {
          if (stream.readableLength === 0) stream.destroy();
        });
        this.handOver(onConnection, stream, info);
      });
    });
  }

  get connections(): number {
    return this.#active;
  }

  #pathAccepted(url: string | undefined): boolean {
    const wanted = this.config.path;
    if (wanted === undefined) return true;
    if (url === undefined) return false;
    const q = url.indexOf('?');
    return (q < 0 ? url : url.slice(0, q)) === wanted;
  }
}

/** What to do when `listen` fails with `code`: each cause has its own fix (an absent address is not "in use"). */
function bindFix(config: ListenerConfig, code: string | undefined): string {
  const where = `listeners.${config.name}.bind`;
  switch (code ?? '') {
    case 'EADDRINUSE':
      return `another process (or another listener) uses this address: choose another port in ${where} or stop that process`;
    case 'EADDRNOTAVAIL':
      return `${config.host} is not an address of this machine: set ${where} to one of its addresses (ip addr shows them), or to :${config.port} for every interface`;
    case 'EACCES':
    case 'EPERM':
      return `ports below 1024 need privileges: choose a port from 1024 in ${where}, or grant the capability to bind them (CAP_NET_BIND_SERVICE)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${config.host} does not resolve: fix it in ${where}, or bind an IP address`;
    default:
      return `check ${where}`;
  }
}

/** tls.createServer's handshakeTimeout (default 120 s) set to handshakeTimeoutMs when one is given. */
function handshakeOption(options: ListenerOptions): { handshakeTimeout?: number } {
  const ms = options.handshakeTimeoutMs;
  return ms !== undefined && ms > 0 ? { handshakeTimeout: ms } : {};
}

/**
 * True when the client offered one of our subprotocols. A client that sends no
 * Sec-WebSocket-Protocol header at all is accepted too: some embedded clients omit it.
 */
function offersMqtt(header: string | undefined): boolean {
  if (header === undefined) return true;
  return header.split(',').some((p) => (WS_PROTOCOLS as readonly string[]).includes(p.trim()));
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body = reason): void {
  // End (not destroy) so the response reaches the client, then drop the socket.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body) + 1}\r\n\r\n${body}\n`,
  );
}

/** The listener's TLS files, checked (tls-material.ts): a problem names the listener, the file and the fix. */
async function loadTlsOptions(config: ListenerConfig): Promise<tls.TlsOptions> {
  const result = await loadTlsMaterial(config);
  if (!result.ok) throw new MidgeError('LISTENER_TLS', describeTlsProblems(config.name, result.problems));
  const { cert, key, ca } = result.material;
  return {
    cert,
    key,
    ...(ca.length > 0 ? { ca: [...ca] } : {}),
    ...(config.require_certificate ? { requestCert: true, rejectUnauthorized: true } : {}),
  };
}
