import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { encodePacket, PacketDecoder } from '../codec/index.js';
import type { ConnackPacket, ConnectPacket, Packet, PacketOf, ProtocolVersion } from '../codec/packets.js';

interface Waiter {
  resolve(p: Packet): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A byte-level MQTT test client: sends raw bytes or packets, and hands back every packet the server
 * sends in order. Meant for conformance tests, so it never answers anything by itself.
 */
export class RawClient {
  readonly socket: Socket;
  /** Decode error from the server's bytes, if any (a broker bug). */
  decodeError: Error | undefined;
  private readonly decoder: PacketDecoder;
  private readonly received: Packet[] = [];
  private readonly waiters: Waiter[] = [];
  private isClosed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(socket: Socket, version: ProtocolVersion) {
    this.socket = socket;
    this.decoder = new PacketDecoder({ protocolVersion: version });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.feed(chunk, (p) => this.push(p));
      } catch (err) {
        this.decodeError = err as Error;
        socket.destroy();
      }
    });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error('connection closed while waiting for a packet'));
        }
        resolve();
      });
    });
    socket.on('error', () => {
      /* surfaced as 'close' */
    });
  }

  static connect(port: number, host = '127.0.0.1', version: ProtocolVersion = 4): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawClient(socket, version));
      });
    });
  }

  /** Over TLS: `options` as `tls.connect` takes them (ca, cert, key, servername...); resolves once the handshake is done. */
  static connectTls(
    port: number,
    options: ConnectionOptions = {},
    host = '127.0.0.1',
    version: ProtocolVersion = 4,
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ port, host, ...options });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.removeListener('error', reject);
        resolve(new RawClient(socket, version));
      });
    });
  }

  get closedYet(): boolean {
    return this.isClosed;
  }

  /** Sets the version used to decode what the server sends (3, 4 or 5). */
  setProtocolVersion(version: ProtocolVersion): void {
    this.decoder.protocolVersion = version;
  }

  private push(p: Packet): void {
    // The decoder's payload views pin their whole socket chunk; a copy lets a test keep many packets cheaply.
    if (p.type === 'publish') p.payload = Buffer.from(p.payload);
    const w = this.waiters.shift();
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.resolve(p);
    } else {
      this.received.push(p);
    }
  }

  /** Sends raw bytes, or a packet encoded for `version`. */
  send(data: Buffer | Packet, version: ProtocolVersion = 4): void {
    this.socket.write(Buffer.isBuffer(data) ? data : encodePacket(data, version));
  }

  /** The next packet from the server (rejects on timeout or close). */
  next(timeoutMs = 2000): Promise<Packet> {
    const p = this.received.shift();
    if (p !== undefined) return Promise.resolve(p);
    if (this.isClosed) return Promise.reject(new Error('connection is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`no packet within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** The next packet, which must be of `type`. */
  async expectPacket<T extends Packet['type']>(type: T, timeoutMs = 2000): Promise<PacketOf<T>> {
    const p = await this.next(timeoutMs);
    if (p.type !== type) throw new Error(`expected ${type.toUpperCase()}, got ${JSON.stringify(p)}`);
    return p as PacketOf<T>;
  }

  /**
   * A PINGREQ/PINGRESP round trip that must bring nothing before the PINGRESP (rejects with the packet
   * otherwise). The server answers in order, so whatever it had queued for this connection when it read
   * the PINGREQ has arrived by then: this shows that something was not delivered without waiting a fixed
   * time. First make sure the server has handled what could have caused it (a PUBACK to the sender, or
   * this round trip on the sender's connection), then call it on the receiver. A delivery the server
   * decides later (an async plugin decision, another broker) can still come after the PINGRESP: send a
   * marker message after it on the same ordered path and expect the marker instead.
   */
  async expectNothingBeforePingresp(timeoutMs = 2000): Promise<void> {
    this.send({ type: 'pingreq' }, this.decoder.protocolVersion);
    const p = await this.next(timeoutMs);
    if (p.type !== 'pingresp') throw new Error(`expected nothing before PINGRESP, got ${JSON.stringify(p)}`);
  }

  /**
   * Resolves if nothing arrives for `ms`; rejects with the packet otherwise.
   * @deprecated A fixed wait is slow and proves nothing on a loaded machine; use
   * `expectNothingBeforePingresp()`, or a marker message sent after what must not arrive.
   */
  async expectNothing(ms = 200): Promise<void> {
    try {
      const p = await this.next(ms);
      throw new Error(`expected no packet, got ${JSON.stringify(p)}`);
    } catch (err) {
      if ((err as Error).message.startsWith('no packet within')) return;
      if ((err as Error).message.startsWith('connection')) return;
      throw err;
    }
  }

  /** Sends CONNECT (defaults: v4, clean, keepalive 0) and returns the CONNACK. */
  async connect(options: Partial<Omit<ConnectPacket, 'type'>> = {}): Promise<ConnackPacket> {
    const version = options.protocolVersion ?? 4;
    const packet: ConnectPacket = {
      type: 'connect',
      protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: version,
      clean: true,
      keepalive: 0,
      clientId: '',
      ...options,
    };
    this.setProtocolVersion(version);
    this.send(packet, version);
    return this.expectPacket('connack');
  }

  /** Resolves when the server closed the connection (rejects after `timeoutMs`). */
  closed(timeoutMs = 3000): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      void this.closedPromise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Closes from the client side without DISCONNECT (an abrupt close: the will fires). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Sends DISCONNECT and closes. */
  async disconnect(version: ProtocolVersion = 4): Promise<void> {
    this.send({ type: 'disconnect' }, version);
    this.socket.end();
    await this.closed();
  }
}
