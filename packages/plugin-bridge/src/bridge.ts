/**
 * One bridge: a session in this broker (the local link, in-process through `BrokerApi.connectLocal`)
 * and a client of the remote broker (the remote link), both Midge's own MQTT client, with the messages
 * crossing between them (outgoing.ts, incoming.ts) and the bridge's state published under `$SYS`.
 */
import { hostname } from 'node:os';
import type { BrokerApi, ClientInfo, Logger, PluginMetric } from '@midge/mqtt-core';
import type { MqttClient, MqttClientOptions } from '@midge/mqtt-core/client';
import type { BridgeConfig } from './config.js';
import { BridgeCounters } from './counters.js';
import type { BridgeSecrets } from './files.js';
import { Incoming } from './incoming.js';
import { Link } from './link.js';
import { Outgoing } from './outgoing.js';
import { TopicMap } from './topic-map.js';

/** The listener name the bridge's local session reports: ACL and auth plugins can tell it apart. */
export const LOCAL_LISTENER = 'bridge';

export interface BridgeDeps {
  readonly name: string;
  readonly config: BridgeConfig;
  readonly secrets: BridgeSecrets;
  readonly broker: BrokerApi;
  readonly logger: Logger;
}

export function stateTopic(name: string): string {
  return `$SYS/broker/bridge/${name}/state`;
}

export class Bridge {
  readonly name: string;
  readonly #broker: BrokerApi;
  readonly #logger: Logger;
  readonly #counters = new BridgeCounters();
  readonly #local: Link;
  readonly #remote: Link;
  readonly #outgoing: Outgoing;
  readonly localClientId: string;

  constructor(d: BridgeDeps) {
    const { name, config, secrets, broker } = d;
    this.name = name;
    this.#broker = broker;
    this.#logger = d.logger;
    const map = new TopicMap(config.topics);
    this.localClientId = config.local_client_id ?? `$bridge/${name}`;
    const as: ClientInfo = {
      clientId: this.localClientId,
      username: config.local_username,
      protocolVersion: 5,
      listener: LOCAL_LISTENER,
      remoteAddress: '',
      remotePort: 0,
      secure: false,
    };
    const incoming = new Incoming(broker, as, name, map, this.#counters, d.logger);
    const delays = { delayMin: config.reconnect_delay_min, delayMax: config.reconnect_delay_max };
    this.#remote = new Link({
      what: `remote ${config.url}`,
      client: () => remoteClientOptions(name, config, secrets, d.logger),
      subscriptions: map.subscriptions('in'),
      // No Local: what the bridge publishes there does not come back (v5 remotes only).
      subscribeOptions: { noLocal: true, retainAsPublished: true, retainHandling: 0 },
      ...delays,
      logger: d.logger,
      onMessage: (m) => incoming.onRemoteMessage(m),
      onUp: (fresh) => {
        const max = this.#remote.receiveMaximum;
        // Midge's client does not hold publishes back for the remote's window: more would be a protocol error.
        if (max !== undefined && max < config.max_inflight)
          d.logger.warn(
            { receiveMaximum: max, max_inflight: config.max_inflight },
            'the remote broker takes fewer unacknowledged messages than max_inflight: lower max_inflight to its Receive Maximum',
          );
        if (fresh) this.#outgoing.onRemoteFresh();
        this.#publishState('connected');
      },
      onDown: () => this.#publishState('disconnected'),
    });
    this.#outgoing = new Outgoing(this.#remote, map, this.#counters, d.logger);
    const outFilters = map.subscriptions('out');
    this.#local = new Link({
      what: `local session ${this.localClientId}`,
      client: () => ({
        url: 'mqtt://in-process',
        stream: () => broker.connectLocal({ listener: LOCAL_LISTENER }),
        clientId: this.localClientId,
        ...(config.local_username !== undefined ? { username: config.local_username } : {}),
        ...(secrets.localPassword !== undefined ? { password: secrets.localPassword } : {}),
        protocolVersion: 5,
        // A persistent session that never expires: it is the outgoing queue.
        clean: false,
        properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: config.max_inflight },
        manualAck: true,
        autoReconnect: true,
        reconnectRetries: -1,
        reconnectInitialDelay: 0.1,
        reconnectMaxInterval: 5,
        reconnectJitter: true,
        plugins: {},
        logger: d.logger,
      }),
      subscriptions: outFilters,
      // No Local: what the bridge brought in (published as this session) does not go back out. Retain
      // Handling 1: the retained messages go out once, when a filter is new, not at every restart.
      subscribeOptions: { noLocal: true, retainAsPublished: true, retainHandling: 1 },
      delayMin: 0.1,
      delayMax: 5,
      logger: d.logger,
      onMessage: (m) => this.#outgoing.onLocalMessage(m),
      onUp: () => undefined,
      onDown: () => undefined,
      prepare: (client) => this.#dropStaleSubscriptions(client, new Set(outFilters.map((s) => s.filter))),
    });
  }

  get connected(): boolean {
    return this.#remote.connected;
  }

  start(): void {
    this.#publishState('disconnected');
    this.#local.start();
    this.#remote.start();
  }

  async close(): Promise<void> {
    await this.#local.close();
    await this.#remote.close();
  }

  metrics(): PluginMetric[] {
    return this.#counters.metrics(this.name, {
      connected: this.#remote.connected,
      pending: this.#outgoing.pending,
      losses: this.#remote.losses,
    });
  }

  /** The session is persistent: a topic removed from the config since would still be delivered to it. */
  async #dropStaleSubscriptions(client: MqttClient, wanted: ReadonlySet<string>): Promise<void> {
    const stale: string[] = [];
    for (const s of this.#broker.subscriptions()) {
      if (s.clientId === this.localClientId && !wanted.has(s.filter)) stale.push(s.filter);
    }
    if (stale.length === 0) return;
    this.#logger.info({ filters: stale }, 'bridge drops local subscriptions no longer configured');
    await client.unsubscribe(stale);
  }

  #publishState(state: 'connected' | 'disconnected'): void {
    this.#broker
      .publish({ topic: stateTopic(this.name), payload: state, qos: 0, retain: true }, { trusted: true })
      .catch((err: unknown) => this.#logger.debug({ err }, 'bridge state not published'));
  }
}

function remoteClientOptions(
  name: string,
  config: BridgeConfig,
  secrets: BridgeSecrets,
  logger: Logger,
): MqttClientOptions {
  const v5 = config.protocol === 5;
  return {
    url: config.url,
    clientId: config.client_id ?? `${hostname()}.${name}`,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(secrets.password !== undefined ? { password: secrets.password } : {}),
    protocolVersion: config.protocol,
    clean: config.clean_start,
    keepalive: config.keepalive,
    ...(v5
      ? { properties: { sessionExpiryInterval: config.session_expiry_interval, receiveMaximum: config.max_inflight } }
      : {}),
    ...(secrets.ca !== undefined ? { ca: secrets.ca } : {}),
    ...(secrets.cert !== undefined ? { cert: secrets.cert } : {}),
    ...(secrets.key !== undefined ? { key: secrets.key } : {}),
    insecure: config.insecure,
    connectTimeout: config.connect_timeout,
    // Acknowledged to the remote once this broker has it (incoming.ts).
    manualAck: true,
    autoReconnect: true,
    reconnectRetries: -1,
    reconnectInitialDelay: config.reconnect_delay_min,
    reconnectMaxInterval: config.reconnect_delay_max,
    reconnectJitter: true,
    // No client plugins (the default would load the packet logger).
    plugins: {},
    logger,
  };
}
