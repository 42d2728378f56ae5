import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CodecError } from '../codec/errors.js';
import { encodePacket, PacketDecoder } from '../codec/index.js';
import { ReasonCode, toDisconnectReasonCode } from '../codec/reason-codes.js';
import type { DisconnectPacket, Packet, ProtocolVersion, PublishPacket, QoS } from '../codec/packets.js';
import type { ClientInfo, Message } from '../plugin-api/types.js';
import type { TopicAliasTable } from '../codec/topic-alias-table.js';
import type { OutgoingTopicAliases } from './outgoing-topic-aliases.js';
import type { BrokerContext } from './context.js';
import type { ConnectionInfo } from './listeners.js';
import type { AuthExchange, Peer } from './peer.js';
import type { CloseOptions, PeerState } from './peer-link.js';
import { chargeUnauthenticated, connectionDecoderOptions } from './pre-connack.js';
import { handlePacket } from './protocol/index.js';
import type { Session } from './session.js';

function flushSoon(conn: Connection): void {
  try {
    conn.flush();
  } catch (err) {
    conn.crashed(err, 'flush');
  }
}

/**
 * Up to this many bytes written in one tick are copied into one buffer and written with one
 * `stream.write`; more goes out as a corked `writev` of the frames themselves (no copy of big payloads).
 * One write of one buffer costs far less than a writev of many small frames: no per-frame Writable
 * entry, no chunks array, one uv_buf.
 */
const COALESCE_MAX_BYTES = 64 * 1024;

// Timer callbacks take the connection as an argument instead of being per-connection closures: an idle
// connection then carries no function objects for timers that rarely fire. Like the stream handlers
// below, each is a boundary: an exception ends its connection (Connection.crashed), never the process.
function connectTimeout(conn: Connection): void {
  try {
    conn.connectTimedOut();
  } catch (err) {
    conn.crashed(err, 'connect timer');
  }
}

function keepaliveCheck(conn: Connection): void {
  try {
    conn.checkKeepalive();
  } catch (err) {
    conn.crashed(err, 'keepalive timer');
  }
}

function slowTimeout(conn: Connection): void {
  try {
    conn.slowReaderTimedOut();
  } catch (err) {
    conn.crashed(err, 'slow reader timer');
  }
}

// Stream handlers shared by every connection (`this` is the stream): an idle connection then carries
// no closures of its own. The stream → connection link is a WeakMap entry.
const byStream = new WeakMap<Duplex, Connection>();

function onStreamData(this: Duplex, chunk: Buffer): void {
  const conn = byStream.get(this);
  if (conn === undefined) return;
  try {
    conn.onData(chunk);
  } catch (err) {
    conn.crashed(err, 'data');
  }
}

function onStreamError(this: Duplex, err: Error): void {
  const conn = byStream.get(this);
  if (conn === undefined) return;
  try {
    conn.onError(err);
  } catch (error) {
    conn.crashed(error, 'stream error');
  }
}

function onStreamEnd(this: Duplex): void {
  const conn = byStream.get(this);
  if (conn === undefined) return;
  try {
    conn.close('connection closed by peer', false);
  } catch (err) {
    conn.crashed(err, 'stream end');
  }
}

/**
 * The connection whose chunk the decoder is working on: the decoder's packet callback is one shared
 * function, not a closure per connection. Saved and restored around each feed, so a feed that runs
 * inside another (an in-process stream that delivers synchronously) still routes to the right one.
 */
let feeding: Connection | undefined;

function onDecodedPacket(packet: Packet, frameBytes: number): void {
  const conn = feeding;
  if (conn === undefined) throw new Error('internal error: the decoder produced a packet outside of a feed');
  conn.onPacket(packet, frameBytes);
}

/**
 * One network connection: socket, decoder, corked writer, keepalive and CONNECT timers, slow-reader
 * tracking. Packets are handled in arrival order: when a handler awaits a plugin decision the
 * connection pauses reading and holds later packets in a backlog until the decision is in.
 */
export class Connection implements Peer {
  readonly ctx: BrokerContext;
  readonly stream: Duplex;
  /** The listener's info until CONNECT; then the client, which carries the same fields (the info is let go). */
  #info: ConnectionInfo;
  protocolVersion: ProtocolVersion = 4;
  /** 'connected' from `attach` until the close, and only then: `client` and `session` are set (see ConnectedPeer). */
  state: PeerState = 'awaiting-connect';
  /** When CONNACK 0 went out (epoch ms): set by `attach`. */
  connectedAt: number | undefined;
  /** Set once CONNECT was accepted for authentication. */
  client: ClientInfo | undefined;
  /** Set once CONNACK 0 was sent; still the session it served after the close. */
  session: Session | undefined;
  /** Why the connection closed (for logs, events and tests). */
  closeReason = '';
  /** v5 Maximum Packet Size the client accepts (0: no limit); larger PUBLISH packets are discarded. */
  maxOutgoingPacket = 0;
  /** v5 enhanced authentication: the exchange in progress (connect time or re-authentication). */
  authExchange: AuthExchange | undefined = undefined;
  /** v5 enhanced authentication: the method the client authenticated with (re-authentication uses it). */
  authMethod: string | undefined = undefined;
  /** v5 Topic Aliases the client set on this connection [MQTT-3.3.2-7]; created on first use. */
  topicAliases: TopicAliasTable | undefined = undefined;
  /**
   * v5 Topic Aliases the broker sets towards the client (`outgoing_topic_alias_maximum`); undefined when
   * off (the default): deliveries then share one encoding per fan-out.
   */
  outgoingAliases: OutgoingTopicAliases | undefined = undefined;
  /**
   * QoS 1/2 PUBLISH packets received and not yet answered with PUBACK / PUBREC (held behind an async
   * plugin decision, or in the backlog): with the QoS 2 ids awaiting PUBREL, what Receive Maximum bounds.
   */
  inboundUnacked = 0;
  ackTail: Promise<void> | undefined = undefined;

  private readonly decoder: PacketDecoder;
  /**
   * Frames written in this tick, flushed together on the next tick: the first in `pendingFirst` (an
   * idle connection's single CONNACK needs no array), the rest in `pendingMore` (kept for reuse).
   */
  private pendingFirst: Buffer | undefined;
  private pendingMore: (Buffer | undefined)[] | undefined;
  private pendingCount = 0;
  private pendingBytes = 0;
  private lastActivity = Date.now();
  private keepaliveMs = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  private blocked = false;
  /** Packets held while a plugin decision is pending; created the first time one is held. */
  private backlog: Packet[] | undefined;
  private sawFirstByte = false;
  /** Bytes of packets held while authentication is pending (reading is paused meanwhile). */
  private bytesBeforeConnack = 0;
  /** Bytes this connection counts in stats.unauthenticatedBytes (until CONNACK or close). */
  private unauthenticatedHeld = 0;
  private readonly onClosed: (conn: Connection) => void;

  constructor(ctx: BrokerContext, stream: Duplex, info: ConnectionInfo, onClosed: (conn: Connection) => void) {
    this.ctx = ctx;
    this.stream = stream;
    this.#info = info;
    this.onClosed = onClosed;
    // max_packet_size_before_connack until CONNACK (attach raises it).
    this.decoder = new PacketDecoder({ ...connectionDecoderOptions(ctx.config), role: 'server' });
    byStream.set(stream, this);
    stream.on('data', onStreamData);
    stream.on('error', onStreamError);
    // A TCP socket that is not half-open closes right after its 'end' (Node ends our side too), so
    // 'close' alone suffices there: one listener less per connection (Node has its own 'end' one).
    if (!(stream instanceof Socket) || stream.allowHalfOpen) stream.on('end', onStreamEnd);
    stream.on('close', onStreamEnd);
    this.restartConnectTimer();
  }

  /** Where the connection came from. */
  get info(): ConnectionInfo {
    return this.#info;
  }

  /** Sets the client info at CONNECT; it holds the connection info too, so that object is released. */
  setClient(client: ClientInfo): void {
    this.client = client;
    this.#info = client;
  }

  // ---- reading -------------------------------------------------------------------------------

  /** @internal A chunk from the stream. */
  onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    const stats = this.ctx.stats;
    stats.bytesReceived += chunk.length;
    this.lastActivity = Date.now();
    if (this.state !== 'connected') {
      // [MQTT-3.1.0-1]: the first packet must be CONNECT; do not wait for the rest of a bogus frame.
      if (!this.sawFirstByte && chunk.length > 0 && chunk[0] !== 0x10) {
        this.close('first packet is not CONNECT [MQTT-3.1.0-1]', false);
        return;
      }
      this.sawFirstByte = true;
    }
    const outer = feeding;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the shared packet callback's target, restored below
    feeding = this;
    try {
      this.decoder.feed(chunk, onDecodedPacket);
    } catch (err) {
      this.onFailure(err);
    } finally {
      feeding = outer;
    }
    if (this.state === 'awaiting-connect' || this.state === 'authenticating') this.holdUnauthenticated();
  }

  /** Counts what a connection without CONNACK holds against max_unauthenticated_bytes; over it, closes. */
  private holdUnauthenticated(): void {
    const held = this.decoder.heldBytes + this.bytesBeforeConnack;
    if (held === this.unauthenticatedHeld) return;
    if (chargeUnauthenticated(this.ctx, this.unauthenticatedHeld, held, this.info.remoteAddress))
      this.unauthenticatedHeld = held;
    else this.close('too many bytes held by connections without CONNACK (max_unauthenticated_bytes)', false);
  }

  private releaseUnauthenticated(): void {
    if (this.unauthenticatedHeld === 0) return;
    this.ctx.stats.unauthenticatedBytes -= this.unauthenticatedHeld;
    this.unauthenticatedHeld = 0;
  }

  /** @internal One decoded packet. */
  onPacket(packet: Packet, frameBytes: number): void {
    if (this.state === 'closed') return;
    this.ctx.stats.packetsReceived++;
    const events = this.ctx.events;
    if (events.wants('packet:received')) events.emit('packet:received', { client: this.client, packet });
    if (packet.type === 'publish' && packet.qos !== 0 && this.state === 'connected' && !this.admitInbound(packet))
      return;
    if (this.blocked) {
      if (this.state === 'authenticating') {
        // Reading is paused, but what already arrived is bounded too.
        this.bytesBeforeConnack += frameBytes;
        if (this.bytesBeforeConnack > this.ctx.config.max_buffered_before_connack) {
          this.close('too many bytes before CONNACK (max_buffered_before_connack)', false);
          return;
        }
      }
      // Held past this tick: copy the payload view.
      if (packet.type === 'publish') packet.payload = Buffer.from(packet.payload);
      (this.backlog ??= []).push(packet);
      return;
    }
    this.dispatch(packet);
  }

  /**
   * Receive Maximum: a v5 client may have at most receive_maximum QoS 1/2 PUBLISH packets unacknowledged
   * towards the broker (QoS 2 until PUBREL); one more is DISCONNECT 0x93 [MQTT-3.3.4-7]. A 3.1.1 client
   * is never told the number, so only its QoS 2 messages awaiting PUBREL are bounded (a QoS 1 client that
   * pipelines while a plugin decides is not punished). A resent QoS 2 id already held does not count again.
   */
  private admitInbound(packet: PublishPacket): boolean {
    const session = this.session;
    if (session === undefined) return true;
    const id = packet.packetId;
    const resent = packet.qos === 2 && id !== undefined && session.inboundQos2Count > 0 && session.inboundQos2.has(id);
    this.inboundUnacked++;
    if (resent) return true;
    const max = this.ctx.config.receive_maximum;
    const v5 = this.protocolVersion === 5;
    const held = v5
      ? this.inboundUnacked - 1 + session.inboundQos2Count
      : packet.qos === 2
        ? session.inboundQos2Count
        : 0;
    if (held < max) return true;
    this.ctx.limits.hit('receive_maximum', 'client exceeded the Receive Maximum (receive_maximum): disconnected', {
      clientId: this.client?.clientId,
      unacknowledged: held + 1,
    });
    this.close('Receive Maximum exceeded [MQTT-3.3.4-7]', false, { reasonCode: ReasonCode.receiveMaximumExceeded });
    return false;
  }

  private dispatch(packet: Packet): void {
    const pending = handlePacket(this.ctx, this, packet);
    if (pending !== undefined) this.block(pending);
  }

  private block(pending: Promise<void>): void {
    this.blocked = true;
    this.stream.pause();
    // Only with asynchronous plugin decisions: the closures are not on the plain publish path. Nothing
    // may escape them: it would be an unhandled rejection, which ends the process.
    pending.then(
      () => {
        try {
          this.unblock();
        } catch (err) {
          this.crashed(err, 'after a plugin decision');
        }
      },
      (err: unknown) => {
        try {
          this.onFailure(err);
        } catch (error) {
          this.crashed(error, 'after a plugin decision');
        }
      },
    );
  }

  private unblock(): void {
    this.blocked = false;
    try {
      const backlog = this.backlog;
      while (backlog !== undefined && !this.blocked && this.state !== 'closed') {
        const next = backlog.shift();
        if (next === undefined) break;
        this.dispatch(next);
      }
    } catch (err) {
      // Not inside the decoder's try here: a handler bug must still close only this connection.
      this.onFailure(err);
      return;
    }
    if (!this.blocked && this.state !== 'closed') this.stream.resume();
  }

  /** A decoder error or a bug in a handler: close only this connection, never throw out of the broker. */
  private onFailure(err: unknown): void {
    if (this.state === 'closed') return;
    if (err instanceof CodecError) {
      if (err.code === 'CODEC_UNSUPPORTED_PROTOCOL' && this.state === 'awaiting-connect') {
        // [MQTT-3.1.2-2]: refuse, then close. A level above 5 comes from a client newer than MQTT 5: it is
        // answered in MQTT 5's format (0x84 Unsupported Protocol Version); any other level or a wrong
        // protocol name in 3.1.1's (return code 1), which every MQTT client can read.
        const newer = err.protocolLevel !== undefined && err.protocolLevel > 5;
        if (newer) this.protocolVersion = 5;
        this.send({ type: 'connack', sessionPresent: false, reasonCode: newer ? 0x84 : 0x01 });
      } else if (err.reasonCode === 0x95 && this.state === 'awaiting-connect' && this.decoder.protocolVersion === 5) {
        // A v5 CONNECT over max_packet_size_before_connack or the User Property caps: CONNACK 0x95, then close.
        this.setProtocolVersion(5);
        this.send({ type: 'connack', sessionPresent: false, reasonCode: 0x95 });
      }
      if (this.ctx.log.isLevelEnabled('debug')) {
        this.ctx.log.debug(
          { err, clientId: this.client?.clientId, remote: this.info.remoteAddress },
          'closing connection: bad packet',
        );
      }
      this.close(`protocol error: ${err.message}`, false, { reasonCode: err.reasonCode });
      return;
    }
    this.crashed(err, 'packet handler');
  }

  /**
   * @internal An exception escaped one of this connection's handlers (data, timers, stream events, plugin
   * decisions): a broker bug or a misbehaving plugin. Logged with the client id, counted in
   * stats.connectionErrors, and only this connection is closed (v5: DISCONNECT 0x83). Never throws.
   */
  crashed(err: unknown, where: string): void {
    this.internalError(err, where);
    this.close('internal error', false, { reasonCode: 0x83 });
  }

  /** Counts and logs an internal error; a logger that throws too is ignored. */
  private internalError(err: unknown, where: string): void {
    this.ctx.stats.connectionErrors++;
    try {
      this.ctx.log.error(
        { err, where, clientId: this.client?.clientId, remoteAddress: this.info.remoteAddress },
        'internal error on a connection; closing it',
      );
    } catch {
      // Nothing left to tell; the connection is closed below all the same.
    }
  }

  /** @internal The stream failed. */
  onError(err: Error): void {
    if (this.ctx.debug) this.ctx.log.debug({ err, clientId: this.client?.clientId }, 'socket error');
    this.close(`socket error: ${err.message}`, false);
  }

  /** @internal The CONNECT timer fired. */
  connectTimedOut(): void {
    this.connectTimer = undefined;
    if (this.state === 'awaiting-connect') this.close('no CONNECT within connect_timeout', false);
    // Armed again for each challenge of an enhanced authentication before CONNACK.
    else if (this.state === 'authenticating' && this.authExchange !== undefined)
      this.close('no AUTH answer within connect_timeout', false);
  }

  /** Gives the client connect_timeout: to send CONNECT, and again to answer each enhanced authentication challenge. */
  restartConnectTimer(): void {
    this.clearConnectTimer();
    this.connectTimer = setTimeout(connectTimeout, this.ctx.config.connect_timeout * 1000, this);
    this.connectTimer.unref();
  }

  clearConnectTimer(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  setProtocolVersion(version: ProtocolVersion): void {
    this.protocolVersion = version;
    this.decoder.protocolVersion = version;
  }

  // ---- keepalive -----------------------------------------------------------------------------

  /** [MQTT-3.1.2-24]: close after 1.5 x keepalive of silence (plus the configured grace). */
  startKeepalive(seconds: number): void {
    if (seconds <= 0) return;
    this.keepaliveMs = seconds * 1500 + this.ctx.config.timeout_disconnect_delay * 1000;
    this.keepaliveTimer = setTimeout(keepaliveCheck, this.keepaliveMs, this);
    this.keepaliveTimer.unref();
  }

  /**
   * @internal The keepalive timer fired. It checks the last activity instead of being re-armed on every
   * packet: one timer per keepalive period.
   */
  checkKeepalive(): void {
    this.keepaliveTimer = undefined;
    if (this.state === 'closed') return;
    const idle = Date.now() - this.lastActivity;
    if (idle >= this.keepaliveMs) {
      this.close('keepalive timeout', false, { reasonCode: 0x8d });
      return;
    }
    this.keepaliveTimer = setTimeout(keepaliveCheck, this.keepaliveMs - idle, this);
    this.keepaliveTimer.unref();
  }

  // ---- writing -------------------------------------------------------------------------------

  private write(bytes: Buffer): void {
    if (this.pendingCount === 0) {
      // One flush per tick: everything written in this tick leaves in one syscall where possible.
      this.pendingFirst = bytes;
      process.nextTick(flushSoon, this);
    } else {
      // Slots are reused from tick to tick (flush clears them): no array growth per tick.
      const more = (this.pendingMore ??= []);
      const i = this.pendingCount - 1;
      if (i < more.length) more[i] = bytes;
      else more.push(bytes);
    }
    this.pendingCount++;
    this.pendingBytes += bytes.length;
    const stats = this.ctx.stats;
    stats.bytesSent += bytes.length;
    stats.packetsSent++;
  }

  /** Writes the frames of this tick to the stream (also called before the stream is ended). */
  flush(): void {
    const count = this.pendingCount;
    if (count === 0) return;
    const first = this.pendingFirst;
    if (first === undefined) throw new Error('internal error: frames counted but not held');
    const total = this.pendingBytes;
    this.pendingFirst = undefined;
    this.pendingCount = 0;
    this.pendingBytes = 0;
    const stream = this.stream;
    if (count === 1) {
      stream.write(first);
      return;
    }
    const rest = count - 1;
    const frames = this.pendingMore;
    if (frames === undefined) throw new Error('internal error: frames counted but not held');
    // Each slot is cleared as it is consumed: a frame may view a 64 KiB encoder slab or a socket chunk,
    // which must not stay reachable from a connection that goes quiet.
    if (total <= COALESCE_MAX_BYTES) {
      const out = Buffer.allocUnsafe(total);
      first.copy(out, 0);
      let offset = first.length;
      for (let i = 0; i < rest; i++) {
        const b = frames[i];
        if (b === undefined) throw new Error('internal error: a counted frame is missing');
        frames[i] = undefined;
        b.copy(out, offset);
        offset += b.length;
      }
      stream.write(out);
    } else {
      stream.cork();
      stream.write(first);
      for (let i = 0; i < rest; i++) {
        const b = frames[i];
        if (b === undefined) throw new Error('internal error: a counted frame is missing');
        frames[i] = undefined;
        stream.write(b);
      }
      stream.uncork();
    }
  }

  send(packet: Packet): void {
    if (this.state === 'closed') return;
    this.write(encodePacket(packet, this.protocolVersion));
    // Every refusal of a CONNECT goes out here (protocol checks, plugins, codec errors before CONNACK).
    if (packet.type === 'connack' && packet.reasonCode !== 0) this.ctx.stats.connectRefusedWith(packet.reasonCode);
    const events = this.ctx.events;
    if (events.wants('packet:sent')) events.emit('packet:sent', { client: this.client, packet });
  }

  /** Writes an already encoded PUBLISH (shared across a fan-out, or stamped with this receiver's id). */
  writePublish(
    bytes: Buffer,
    message: Message,
    qos: QoS,
    retain: boolean,
    packetId: number | undefined,
    dup: boolean,
  ): void {
    if (this.state === 'closed') return;
    this.write(bytes);
    const stats = this.ctx.stats;
    stats.publishSent++;
    if (!dup) {
      stats.messagesSent++;
      stats.sentByQos[qos]++;
    }
    const events = this.ctx.events;
    if (events.wants('packet:sent')) {
      events.emit('packet:sent', {
        client: this.client,
        packet: { type: 'publish', topic: message.topic, payload: message.payload, qos, retain, dup, packetId },
      });
    }
  }

  /**
   * True while the socket holds more than max_outgoing_bytes: QoS 0 deliveries are then dropped. A client
   * that stays over for slow_reader_timeout seconds is disconnected.
   */
  overOutgoingLimit(): boolean {
    const max = this.ctx.config.max_outgoing_bytes;
    if (max <= 0 || this.stream.writableLength + this.pendingBytes <= max) return false;
    if (this.slowTimer === undefined) {
      this.slowTimer = setTimeout(slowTimeout, this.ctx.config.slow_reader_timeout * 1000, this);
      this.slowTimer.unref();
      this.stream.once('drain', (this.onDrain ??= () => this.drained()));
    }
    return true;
  }

  /** Created the first time the client falls behind. */
  private onDrain: (() => void) | undefined;

  private drained(): void {
    if (this.slowTimer !== undefined) clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
  }

  /** @internal The slow reader timer fired. */
  slowReaderTimedOut(): void {
    this.slowTimer = undefined;
    if (this.stream.writableLength > this.ctx.config.max_outgoing_bytes) {
      this.ctx.log.warn(
        { clientId: this.client?.clientId, buffered: this.stream.writableLength },
        'disconnecting slow reader',
      );
      this.close('slow reader (over max_outgoing_bytes for slow_reader_timeout)', false);
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** CONNACK 0 is out: the connection now serves the session. */
  attach(session: Session, keepalive: number): void {
    this.session = session;
    this.state = 'connected';
    this.connectedAt = Date.now();
    session.connection = this;
    this.releaseUnauthenticated();
    this.decoder.maxPacketSize = this.ctx.config.max_packet_size;
    this.ctx.stats.clientConnected();
    this.startKeepalive(keepalive);
  }

  /**
   * Closes the connection once. `graceful` is true only after the client's DISCONNECT: any other close
   * (keepalive, socket error, protocol error, takeover, server shutdown) publishes the will
   * [MQTT-3.1.2-8, MQTT-3.1.2-10], and so does a v5 DISCONNECT with reason 0x04 (`keepWill`).
   * A v5 client is told why with a DISCONNECT carrying `reasonCode` [MQTT-4.13.1-1].
   */
  close(reason: string, graceful: boolean, options: CloseOptions = {}): void {
    if (this.state === 'closed') return;
    if (options.reasonCode !== undefined && this.protocolVersion === 5 && this.state === 'connected') {
      this.sendDisconnect(options.reasonCode, options.reasonString);
    }
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.closeReason = reason;
    this.releaseUnauthenticated();
    this.clearConnectTimer();
    if (this.keepaliveTimer !== undefined) clearTimeout(this.keepaliveTimer);
    if (this.slowTimer !== undefined) clearTimeout(this.slowTimer);
    this.keepaliveTimer = this.slowTimer = undefined;
    this.backlog = undefined;
    // Closing never throws (it runs inside error paths): a failure here is logged and counted, and the
    // stream is shut and the connection forgotten all the same.
    if (wasConnected) {
      try {
        this.leaveSession(reason, graceful, options.keepWill === true);
      } catch (err) {
        this.internalError(err, 'close');
      }
    }
    try {
      this.shutdownStream();
    } catch (err) {
      this.internalError(err, 'close');
      this.stream.destroy();
    }
    this.onClosed(this);
  }

  /** The session outlives the connection: will, detach, stats, events. */
  private leaveSession(reason: string, graceful: boolean, keepWill: boolean): void {
    const { session, client } = this;
    if (session === undefined || client === undefined)
      throw new Error('internal error: a connected connection without its session or client');
    const ctx = this.ctx;
    const owner = session.connection === this;
    const will = owner && (!graceful || keepWill) ? session.will : undefined;
    if (owner) session.will = undefined;
    if (will !== undefined) ctx.sessions.scheduleWill(session, client, will);
    ctx.stats.clientDisconnected();
    ctx.sessions.detach(session, this);
    if (ctx.debug) ctx.log.debug({ clientId: client.clientId, reason, graceful }, 'client disconnected');
    if (ctx.events.wants('client:disconnected')) {
      ctx.events.emit('client:disconnected', { client, graceful, reason });
    }
  }

  /**
   * v5: tells the client why the server closes [MQTT-4.13.1-1]. A code DISCONNECT may not carry (0x84 from
   * a CONNECT-time check, an ack code) is mapped to one it may, so the encoder cannot throw here.
   */
  private sendDisconnect(reasonCode: number, reasonString: string | undefined): void {
    const packet: DisconnectPacket = { type: 'disconnect', reasonCode: toDisconnectReasonCode(reasonCode) };
    if (reasonString !== undefined) packet.properties = { reasonString };
    try {
      this.send(packet);
    } catch (err) {
      // An unencodable reason string (too long for the client's Maximum Packet Size...): close without it.
      this.internalError(err, 'close');
    }
  }

  private shutdownStream(): void {
    const s = this.stream;
    s.removeListener('data', onStreamData);
    this.flush();
    if (s.destroyed) return;
    // Let queued bytes (a CONNACK refusal, say) leave first; a peer that never reads gets destroyed.
    const timer = setTimeout(() => s.destroy(), 1000);
    timer.unref();
    s.end(() => {
      clearTimeout(timer);
      s.destroy();
    });
  }
}
