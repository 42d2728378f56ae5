/**
 * The MQTT client: one object that survives its connections. Pending publishes, subscriptions and message
 * iterators live on the client, connections come and go (auto-reconnect), and everything a connection
 * loss interrupts is redone on the next one: re-subscribe when the broker kept no session, resend
 * unacknowledged QoS 1/2 publishes with DUP=1, resend unanswered SUBSCRIBE/UNSUBSCRIBE.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { encodePacket } from '../codec/encoder.js';
import { PacketDecoder } from '../codec/decoder.js';
import type { Packet, PublishPacket, QoS, Subscription } from '../codec/packets.js';
import type { ClientInfo, ClientPublishMessage } from '../plugin-api/types.js';
import type { PluginHost } from '../plugin-host/host.js';
import { ClientError, ClientErrorCode, connackMessage, isTransientRefusal } from './errors.js';
import { TopicAliasTable } from '../codec/topic-alias-table.js';
import { AuthExchange } from './enhanced-auth.js';
import { Keepalive } from './keepalive.js';
import { Inbound } from './inbound.js';
import { resolveClientOptions, type MqttClientOptions, type ResolvedClientOptions } from './options.js';
import { Outstanding } from './outstanding.js';
import { startClientPlugins } from './plugins.js';
import { describeServer, openTransport } from './transport.js';
import type {
  ClientMessage,
  ClientPublishOptions,
  ClientSubscribeOptions,
  ConnectResult,
  Granted,
  MqttClientEventName,
  MqttClientEvents,
  UnsubscribeResult,
} from './types.js';

function isQos(q: unknown): q is QoS {
  return q === 0 || q === 1 || q === 2;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

interface ConnectWaiter {
  resolve(result: ConnectResult): void;
  reject(err: Error): void;
}

export class MqttClient {
  readonly options: ResolvedClientOptions;
  readonly #events = new EventEmitter();
  readonly #out: Outstanding;
  #state: ClientState = 'idle';
  #socket: Duplex | undefined;
  #connecting: Promise<ConnectResult> | undefined;
  #waiter: ConnectWaiter | undefined;
  #connack: ConnectResult | undefined;
  #plugins: PluginHost | undefined;
  #info: ClientInfo;
  readonly #keepalive: Keepalive;
  #sleepTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  /** Filter → how it was subscribed, to re-subscribe when the broker lost the session. */
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #in: Inbound;
  /** Topic aliases the broker set on this connection; replaced at each CONNACK. */
  #aliases: TopicAliasTable | undefined;
  /** The enhanced authentication of the current connection; a new one per connection. */
  #auth: AuthExchange | undefined;
  /** #finish ran: 'end' is emitted once. */
  #ended = false;

  constructor(options: MqttClientOptions | string = {}) {
    this.options = resolveClientOptions(typeof options === 'string' ? { url: options } : options);
    this.#keepalive = new Keepalive(
      this.options.pingDelay,
      this.options.pingTimeout,
      () => this.#send({ type: 'pingreq' }),
      (err) => this.#socket?.destroy(err),
    );
    this.#in = new Inbound(
      (packet) => this.#send(packet),
      (m) => this.#emit('message', m),
      this.options.protocolVersion === 5,
      this.options.manualAck,
    );
    this.#out = new Outstanding((packet, done) => this.#send(packet, done), this.options.protocolVersion);
    const o = this.options;
    this.#info = {
      clientId: o.clientId,
      username: o.username,
      protocolVersion: o.protocolVersion,
      listener: 'client',
      remoteAddress: o.host,
      remotePort: o.port,
      secure: o.transport === 'mqtts' || o.transport === 'wss',
    };
  }

  get state(): ClientState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** The client id in use (the broker's assigned one when v5 assigned it). */
  get clientId(): string {
    return this.#info.clientId;
  }

  /** The last accepted CONNACK. */
  get connack(): ConnectResult | undefined {
    return this.#connack;
  }

  /** QoS 0 messages dropped because a message iterator's buffer was full. */
  get droppedMessages(): number {
    return this.#in.dropped;
  }

  // ---- events --------------------------------------------------------------------------------

  on<K extends MqttClientEventName>(event: K, listener: (...args: MqttClientEvents[K]) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends MqttClientEventName>(event: K, listener: (...args: MqttClientEvents[K]) => void): this {
    this.#events.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends MqttClientEventName>(event: K, listener: (...args: MqttClientEvents[K]) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  #emit<K extends MqttClientEventName>(event: K, ...args: MqttClientEvents[K]): void {
    // An 'error' nobody listens to would throw out of a socket callback and kill the process: errors
    // that matter also reach a promise, so an unheard one is only logged.
    if (event === 'error' && this.#events.listenerCount('error') === 0) {
      this.options.logger.debug({ err: args[0] }, 'client error');
      return;
    }
    try {
      this.#events.emit(event, ...args);
    } catch (err) {
      this.options.logger.error({ err, event }, `a '${event}' listener threw`);
    }
  }

  // ---- connection ----------------------------------------------------------------------------

  /**
   * Connects and resolves with the CONNACK. Rejects with CLIENT_CONNECT_REFUSED, CLIENT_NETWORK or
   * CLIENT_TIMEOUT; a failed first connect is not retried (auto-reconnect starts once a connection was up)
   * and leaves the client closed.
   */
  connect(): Promise<ConnectResult> {
    switch (this.#state) {
      case 'connected':
        return Promise.resolve(this.#connack as ConnectResult);
      case 'connecting':
        return this.#connecting as Promise<ConnectResult>;
      case 'closed':
        return Promise.reject(this.#closedError('connect'));
      case 'reconnecting':
        return new Promise((resolve, reject) => {
          const onEnd = () => reject(this.#closedError('connect'));
          this.once('connect', (r) => {
            this.off('end', onEnd);
            resolve(r);
          });
          this.once('end', onEnd);
        });
      case 'idle':
        break;
    }
    this.#state = 'connecting';
    this.#connecting = this.#firstConnect();
    return this.#connecting;
  }

  async #firstConnect(): Promise<ConnectResult> {
    try {
      this.#plugins = await startClientPlugins(this.options, {
        publish: (m) => this.#pluginPublish(m),
        info: () => this.#info,
      });
      return await this.#open();
    } catch (err) {
      await this.#finish(undefined);
      throw err;
    }
  }

  #pluginPublish(m: ClientPublishMessage): Promise<void> {
    return this.publish(m.topic, m.payload, {
      ...(m.qos !== undefined ? { qos: m.qos } : {}),
      ...(m.retain !== undefined ? { retain: m.retain } : {}),
      ...(m.properties !== undefined ? { properties: m.properties } : {}),
    });
  }

  /** Opens a transport, sends CONNECT and waits for CONNACK. The state moves to 'connected' on success. */
  async #open(): Promise<ConnectResult> {
    const o = this.options;
    const deadline = Date.now() + o.connectTimeout * 1000;
    const socket = await openTransport(o, o.connectTimeout * 1000);
    if (this.#state === 'closed') {
      socket.destroy();
      throw this.#closedError('connect');
    }
    const result = new Promise<ConnectResult>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    this.#attach(socket);
    this.#send({
      type: 'connect',
      protocolName: o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: o.protocolVersion,
      clean: o.clean,
      keepalive: o.keepalive,
      // A v5 broker may have assigned an id the first time: resume that session with it.
      clientId: this.#info.clientId,
      ...(o.will ? { will: o.will } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.properties && o.protocolVersion === 5 ? { properties: o.properties } : {}),
    });
    const timer = setTimeout(
      () =>
        socket.destroy(
          new ClientError(ClientErrorCode.timeout, `no CONNACK from ${describeServer(o)} within ${o.connectTimeout} s`),
        ),
      Math.max(deadline - Date.now(), 0),
    );
    try {
      return await result;
    } finally {
      clearTimeout(timer);
    }
  }

  #attach(socket: Duplex): void {
    this.#socket = socket;
    this.#auth = new AuthExchange(this.#authenticationMethod(), this.options.authenticate, {
      // Only on this connection: an answer computed while it closed must not reach the next one.
      send: (packet) => {
        if (socket === this.#socket) this.#send(packet);
      },
      fail: (err) => socket.destroy(err),
    });
    // Any size MQTT allows (2^28 - 1 bytes plus the fixed header): the broker decides what it sends us.
    const decoder = new PacketDecoder({ protocolVersion: this.options.protocolVersion, maxPacketSize: 268_435_460 });
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.feed(chunk, (packet) => this.#onPacket(packet, socket));
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        socket.destroy(
          err instanceof ClientError
            ? err
            : new ClientError(ClientErrorCode.protocol, `bad packet from the broker: ${msg}`, { cause: err }),
        );
      }
    });
    socket.on('error', (err) => {
      failure = err;
    });
    socket.on('close', () => this.#onClose(socket, failure));
  }

  #onClose(socket: Duplex, err: Error | undefined): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#keepalive.stop();
    this.#auth?.end(this.#state === 'closed' ? new ClientError(ClientErrorCode.closed, 'the client closed') : err);
    this.#emit('close');
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.reject(
        err instanceof ClientError
          ? err
          : new ClientError(
              ClientErrorCode.network,
              `${describeServer(this.options)} closed the connection before CONNACK${err ? `: ${err.message}` : ''}`,
              { cause: err },
            ),
      );
      return;
    }
    if (this.#state !== 'connected') return;
    this.#emit('offline');
    const lost = new ClientError(
      ClientErrorCode.network,
      `connection to ${describeServer(this.options)} lost${err ? `: ${err.message}` : ''}`,
      { cause: err },
    );
    if (this.options.autoReconnect && this.options.reconnectRetries !== 0) {
      this.#state = 'reconnecting';
      this.#emit('error', lost);
      void this.#reconnectLoop();
    } else {
      void this.#finish(lost);
    }
  }

  async #reconnectLoop(): Promise<void> {
    const o = this.options;
    let last: unknown;
    let tried = 0;
    for (let attempt = 1; o.reconnectRetries < 0 || attempt <= o.reconnectRetries; attempt++) {
      const backoff = Math.min(o.reconnectInitialDelay * 2 ** (attempt - 1), o.reconnectMaxInterval);
      const floor = Math.min(o.reconnectInitialDelay, backoff);
      const delay = o.reconnectJitter ? floor + Math.random() * (backoff - floor) : backoff;
      await this.#sleep(delay * 1000);
      if (this.#state !== 'reconnecting') return;
      this.#emit('reconnect', attempt);
      tried = attempt;
      try {
        await this.#open();
        return;
      } catch (err) {
        last = err;
        if (this.#state !== 'reconnecting') return;
        o.logger.debug({ attempt, err }, 'reconnect attempt failed');
        // Bad credentials or a banned id will not fix themselves: stop hammering the broker.
        if (
          err instanceof ClientError &&
          err.code === ClientErrorCode.connectRefused &&
          !isTransientRefusal(err.reasonCode ?? 0, o.protocolVersion)
        )
          break;
      }
    }
    const why = last instanceof Error ? last.message : 'no attempt allowed';
    await this.#finish(
      new ClientError(
        ClientErrorCode.reconnectFailed,
        `gave up reconnecting to ${describeServer(o)} after ${tried} attempt(s): ${why}`,
        { cause: last },
      ),
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = setTimeout(resolve, ms);
    });
  }

  #onConnack(code: number, sessionPresent: boolean, properties: ConnectResult['properties']): void {
    const waiter = this.#waiter;
    const o = this.options;
    if (waiter === undefined) {
      this.#socket?.destroy(new ClientError(ClientErrorCode.protocol, 'the broker sent a second CONNACK'));
      return;
    }
    this.#waiter = undefined;
    if (code !== 0) {
      waiter.reject(
        new ClientError(ClientErrorCode.connectRefused, connackMessage(code, o.protocolVersion), { reasonCode: code }),
      );
      this.#socket?.destroy();
      return;
    }
    this.#auth?.connected();
    const result: ConnectResult = { sessionPresent, reasonCode: code, ...(properties ? { properties } : {}) };
    this.#connack = result;
    this.#aliases = undefined;
    if (properties?.assignedClientIdentifier !== undefined) {
      this.#info = { ...this.#info, clientId: properties.assignedClientIdentifier };
    }
    const resume = this.#state === 'reconnecting';
    this.#state = 'connected';
    if (!sessionPresent) {
      // The broker kept nothing: inbound QoS 2 state and acks held for the old session are void.
      this.#in.freshSession();
    }
    this.#out.resend(() => {
      if (resume && !sessionPresent && this.#subscriptions.size > 0) this.#resubscribe();
    });
    // A v5 Server Keep Alive replaces ours.
    this.#keepalive.start(properties?.serverKeepAlive ?? o.keepalive);
    this.#emit('connect', result);
    waiter.resolve(result);
  }

  #resubscribe(): void {
    const subscriptions = [...this.#subscriptions.values()];
    this.#out
      .subscribe(subscriptions, undefined, true)
      .then(undefined, (err: unknown) => this.#emit('error', err instanceof Error ? err : new Error(String(err))));
  }

  // ---- packets -------------------------------------------------------------------------------

  #send(packet: Packet, done?: (err?: Error | null) => void): boolean {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) {
      done?.(this.#closedError(packet.type));
      return false;
    }
    const bytes = encodePacket(packet, this.options.protocolVersion);
    socket.write(bytes, done);
    this.#keepalive.lastSent = Date.now();
    if (this.#plugins?.hasHook('packet:sent')) this.#plugins.emit('packet:sent', { client: this.#info, packet });
    return true;
  }

  #onPacket(packet: Packet, socket: Duplex): void {
    if (socket !== this.#socket) return;
    if (this.#plugins?.hasHook('packet:received'))
      this.#plugins.emit('packet:received', { client: this.#info, packet });
    switch (packet.type) {
      case 'connack':
        this.#onConnack(packet.reasonCode, packet.sessionPresent, packet.properties);
        return;
      case 'publish':
        this.#onPublish(packet);
        return;
      case 'pubrel':
        this.#in.onPubrel(packet.packetId);
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
      case 'suback':
      case 'unsuback':
        this.#out.onAck(packet, this.#subscriptions);
        return;
      case 'pingresp':
        this.#keepalive.pong();
        return;
      case 'disconnect': {
        const code = packet.reasonCode ?? 0;
        const reason = packet.properties?.reasonString;
        socket.destroy(
          new ClientError(
            ClientErrorCode.network,
            `the broker disconnected (reason code 0x${code.toString(16)}${reason ? `: ${reason}` : ''})`,
            { reasonCode: code },
          ),
        );
        return;
      }
      case 'auth':
        this.#auth?.onAuth(packet);
        return;
      case 'connect':
      case 'pingreq':
      case 'subscribe':
      case 'unsubscribe':
        // These only ever go client → broker.
        socket.destroy(
          new ClientError(
            ClientErrorCode.protocol,
            `the broker sent a ${packet.type.toUpperCase()}, which a client never accepts`,
          ),
        );
    }
  }

  #onPublish(p: PublishPacket): void {
    if (this.#state !== 'connected') {
      this.#socket?.destroy(new ClientError(ClientErrorCode.protocol, 'PUBLISH before CONNACK'));
      return;
    }
    const alias = p.properties?.topicAlias;
    if (alias !== undefined) {
      const table = (this.#aliases ??= new TopicAliasTable(this.options.properties?.topicAliasMaximum ?? 0));
      const problem = table.resolve(p, alias);
      if (problem !== undefined) {
        const why =
          problem === 'above-maximum'
            ? `the broker used Topic Alias ${String(alias)}, above the Topic Alias Maximum ${String(table.maximum)} this client sent [MQTT-3.3.2-11]`
            : `the broker used Topic Alias ${String(alias)} with an empty topic before setting it`;
        this.#socket?.destroy(new ClientError(ClientErrorCode.protocol, why));
        return;
      }
    }
    this.#in.onPublish(p);
  }

  // ---- operations ----------------------------------------------------------------------------

  #usable(what: string): ClientError | undefined {
    if (this.#state === 'closed') return this.#closedError(what);
    if (this.#state === 'idle' || this.#state === 'connecting') {
      return new ClientError(ClientErrorCode.notConnected, `cannot ${what}: call connect() first and wait for it`);
    }
    return undefined;
  }

  /**
   * Publishes and settles when the message is safe: QoS 0 when written to the socket, QoS 1 on PUBACK,
   * QoS 2 on PUBCOMP. While reconnecting the message waits for the next connection; QoS 1/2 ones are
   * resent with DUP=1 after a connection loss until acknowledged, or rejected when the client gives up.
   */
  publish(
    topic: string,
    payload: string | Buffer | Uint8Array = Buffer.alloc(0),
    options: ClientPublishOptions = {},
  ): Promise<void> {
    const unusable = this.#usable('publish');
    if (unusable) return Promise.reject(unusable);
    const qos = options.qos ?? this.options.defaultQos;
    if (!isQos(qos))
      return Promise.reject(
        new ClientError(ClientErrorCode.invalidArgument, `qos must be 0, 1 or 2, got ${String(qos)}`),
      );
    if (typeof topic !== 'string' || topic === '' || topic.includes('+') || topic.includes('#')) {
      return Promise.reject(
        new ClientError(
          ClientErrorCode.invalidArgument,
          `cannot publish to '${String(topic)}': a topic name is not empty and has no wildcard (+ or #)`,
        ),
      );
    }
    const packet: PublishPacket = {
      type: 'publish',
      topic,
      payload:
        typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
      qos,
      retain: options.retain ?? this.options.defaultRetain,
      dup: false,
      ...(options.properties && this.options.protocolVersion === 5 ? { properties: options.properties } : {}),
    };
    if (qos > 0) return this.#out.publish(packet, this.#state === 'connected');
    if (this.#state !== 'connected') return this.#out.queueQos0(packet);
    return new Promise((resolve, reject) => {
      this.#send(packet, (err) =>
        err
          ? reject(
              new ClientError(ClientErrorCode.network, `publish to '${topic}' failed: ${err.message}`, { cause: err }),
            )
          : resolve(),
      );
    });
  }

  /**
   * Subscribes and resolves with the granted QoS of each filter. If the broker refuses any filter the
   * promise rejects with a SubscribeRefusedError (CLIENT_SUBSCRIBE_REFUSED) listing refused and granted ones.
   */
  subscribe(filters: string | readonly string[], options: ClientSubscribeOptions = {}): Promise<Granted[]> {
    const unusable = this.#usable('subscribe');
    if (unusable) return Promise.reject(unusable);
    const list = typeof filters === 'string' ? [filters] : [...filters];
    if (list.length === 0 || list.some((f) => typeof f !== 'string' || f === '')) {
      return Promise.reject(
        new ClientError(ClientErrorCode.invalidArgument, 'subscribe needs at least one non-empty topic filter'),
      );
    }
    const qos = options.qos ?? this.options.defaultQos;
    if (!isQos(qos))
      return Promise.reject(
        new ClientError(ClientErrorCode.invalidArgument, `qos must be 0, 1 or 2, got ${String(qos)}`),
      );
    const v5 = this.options.protocolVersion === 5;
    const subscriptions: Subscription[] = list.map((topic) => ({
      topic,
      qos,
      ...(v5
        ? {
            noLocal: options.noLocal ?? false,
            retainAsPublished: options.retainAsPublished ?? false,
            retainHandling: options.retainHandling ?? 0,
          }
        : {}),
    }));
    return this.#out.subscribe(subscriptions, v5 ? options.properties : undefined, this.#state === 'connected');
  }

  unsubscribe(filters: string | readonly string[]): Promise<UnsubscribeResult> {
    const unusable = this.#usable('unsubscribe');
    if (unusable) return Promise.reject(unusable);
    const topics = typeof filters === 'string' ? [filters] : [...filters];
    if (topics.length === 0)
      return Promise.reject(
        new ClientError(ClientErrorCode.invalidArgument, 'unsubscribe needs at least one topic filter'),
      );
    return this.#out.unsubscribe(topics, this.#state === 'connected');
  }

  /**
   * Received messages as an async iterator. Each call makes its own buffer of `bufferSize` messages
   * (default messageBufferSize): see MessageStream for what happens when it is full. Ends when the client ends.
   */
  messages(options: { bufferSize?: number } = {}): AsyncIterableIterator<ClientMessage, undefined> {
    return this.#in.stream(options.bufferSize ?? this.options.messageBufferSize, this.#state === 'closed');
  }

  /**
   * MQTT 5 re-authentication [MQTT-4.12.1-1]: sends AUTH 0x19 with the CONNECT's Authentication Method and
   * `data`, answers the broker's challenges through the `authenticate` option, and resolves on the broker's
   * AUTH 0x00. Rejects when the broker ends the connection first (a refusal comes as DISCONNECT), when the
   * client named no authentication method at CONNECT, when it is not connected, or while another
   * re-authentication is under way.
   */
  reauthenticate(data?: Buffer): Promise<void> {
    if (this.#authenticationMethod() === undefined) {
      return Promise.reject(
        new ClientError(
          ClientErrorCode.invalidArgument,
          'cannot reauthenticate: the CONNECT named no authentication method (set properties.authenticationMethod, protocolVersion 5)',
        ),
      );
    }
    if (this.#state === 'closed') return Promise.reject(this.#closedError('reauthenticate'));
    if (this.#state !== 'connected' || this.#auth === undefined) {
      return Promise.reject(
        new ClientError(
          ClientErrorCode.notConnected,
          `cannot reauthenticate while ${this.#state}: it needs a connection that is up`,
        ),
      );
    }
    return this.#auth.reauthenticate(data);
  }

  /** The Authentication Method the CONNECT carries: enhanced authentication exists in MQTT 5 only. */
  #authenticationMethod(): string | undefined {
    return this.options.protocolVersion === 5 ? this.options.properties?.authenticationMethod : undefined;
  }

  // ---- closing -------------------------------------------------------------------------------

  /** Sends DISCONNECT (so the broker discards the will), closes the connection and ends the client. */
  async disconnect(): Promise<void> {
    if (this.#state === 'closed') return;
    const socket = this.#socket;
    if (socket !== undefined && this.#state === 'connected') {
      this.#state = 'closed';
      const closed = new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        setTimeout(resolve, 1000).unref();
      });
      this.#send({ type: 'disconnect', ...(this.options.protocolVersion === 5 ? { reasonCode: 0 } : {}) }, () =>
        socket.end(),
      );
      await closed;
    }
    await this.#finish(undefined);
  }

  /**
   * Ends the client. `force` drops the connection at once without DISCONNECT (the broker then publishes the
   * will); otherwise pending QoS 1/2 publishes are awaited first, then DISCONNECT is sent.
   */
  async end(force = false): Promise<void> {
    if (this.#state === 'closed') return;
    if (force) {
      this.#state = 'closed';
      this.#socket?.destroy();
      await this.#finish(undefined);
      return;
    }
    // Only a live connection can still get answers; while reconnecting, waiting could last forever.
    if (this.#state === 'connected') await this.#out.drained(() => this.#state === 'closed');
    await this.disconnect();
  }

  async #finish(err: Error | undefined): Promise<void> {
    const wasEnded = this.#ended;
    this.#ended = true;
    this.#state = 'closed';
    this.#keepalive.stop();
    clearTimeout(this.#sleepTimer);
    this.#wake?.();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    // The socket's close event is ignored now: a pending re-authentication settles here.
    this.#auth?.end(err ?? new ClientError(ClientErrorCode.closed, 'the client closed'));
    // Closed while a handshake was under way: its close event is ignored now, so settle it here.
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#closedError('connect'));
    this.#out.failAll(
      err ?? new ClientError(ClientErrorCode.closed, 'the client closed before the operation finished'),
    );
    this.#in.end();
    const plugins = this.#plugins;
    this.#plugins = undefined;
    await plugins?.close();
    if (wasEnded) return;
    if (err) this.#emit('error', err);
    this.#emit('end');
  }

  #closedError(what: string): ClientError {
    return new ClientError(ClientErrorCode.closed, `cannot ${what}: the client is closed`);
  }
}

/** `connect('mqtt://host')` or `connect({ ... })`: a connected client. */
export async function connect(
  target: string | MqttClientOptions,
  options: MqttClientOptions = {},
): Promise<MqttClient> {
  const client = new MqttClient(typeof target === 'string' ? { ...options, url: target } : target);
  await client.connect();
  return client;
}
