/**
 * One side of a bridge kept connected: an MQTT client (Midge's own) that is replaced by a new one, after
 * a jittered backoff, whenever it ends (its first connect failed, or it gave up reconnecting after a
 * refusal). While a client lives, it reconnects by itself (with jitter) and keeps its session, its
 * subscriptions and its unacknowledged QoS 1/2 publishes across connections. The bridge only learns of
 * connections (`onUp`, `onDown`) and messages.
 */
import type { Logger } from '@midge/mqtt-core';
import { MqttClient } from '@midge/mqtt-core/client';
import type { ClientMessage, ClientPublishOptions, MqttClientOptions } from '@midge/mqtt-core/client';
import { reconnectDelay } from './backoff.js';
import type { SideSubscription } from './topic-map.js';

export interface LinkOptions {
  /** How logs name this side (`remote mqtts://host:8883`). */
  readonly what: string;
  /** The options of each new client. */
  readonly client: () => MqttClientOptions;
  readonly subscriptions: readonly SideSubscription[];
  /** v5 subscription options (no-local, retain as published) for every subscription. */
  readonly subscribeOptions: {
    readonly noLocal: boolean;
    readonly retainAsPublished: boolean;
    readonly retainHandling: 0 | 1 | 2;
  };
  readonly delayMin: number;
  readonly delayMax: number;
  readonly logger: Logger;
  readonly onMessage: (message: ClientMessage) => void;
  /** A connection is up; `fresh`: the first of a new client (what an old one had in flight is gone with it). */
  readonly onUp: (fresh: boolean) => void;
  readonly onDown: () => void;
  /** Runs on a new client once connected, before subscribing (the local side drops stale subscriptions). */
  readonly prepare?: (client: MqttClient) => Promise<void>;
}

/** Failed attempts in a row logged as warnings: the first, then one in this many. */
const WARN_EVERY = 10;

export class Link {
  readonly #o: LinkOptions;
  #client: MqttClient | undefined;
  #up = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** Bumped for each new client that connected: publishes of an older one are void. */
  generation = 0;
  /** Connections lost since start. */
  losses = 0;

  constructor(options: LinkOptions) {
    this.#o = options;
  }

  get connected(): boolean {
    return this.#up;
  }

  /** The Receive Maximum the other side announced in its last CONNACK (v5), if any. */
  get receiveMaximum(): number | undefined {
    return this.#client?.connack?.properties?.receiveMaximum;
  }

  /** Starts connecting; returns at once (a broker does not wait for the other side to start). */
  start(): void {
    this.#running ??= this.#run();
  }

  /**
   * Publishes through the current client; settles as the client's publish does (QoS 1 on PUBACK, QoS 2
   * on PUBCOMP, waiting through reconnects). Rejects when there is no client that ever connected.
   */
  publish(topic: string, payload: Buffer, options: ClientPublishOptions): Promise<void> {
    const client = this.#client;
    if (client === undefined || this.generation === 0 || client.state === 'idle' || client.state === 'connecting')
      return Promise.reject(new Error(`${this.#o.what} is not connected`));
    return client.publish(topic, payload, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#sleepTimer);
    this.#wake?.();
    // DISCONNECT without waiting for unacknowledged publishes: they stay unacknowledged on the side they
    // came from, which sends them again to the next connection.
    await this.#client?.disconnect();
    await this.#running;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      const client = new MqttClient(this.#o.client());
      this.#client = client;
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      let connected = false;
      client.on('message', this.#o.onMessage);
      client.on('offline', () => {
        this.losses++;
        this.#down();
      });
      client.on('connect', () => {
        // The first CONNACK is handled below, after the subscriptions; these are the reconnects.
        if (!connected) return;
        this.#up = true;
        this.#o.logger.info({ side: this.#o.what }, 'bridge connection back up');
        this.#o.onUp(false);
      });
      client.on('error', (err) => this.#o.logger.debug({ err, side: this.#o.what }, 'bridge client error'));
      try {
        await client.connect();
        connected = true;
        failures = 0;
        this.generation++;
        await this.#o.prepare?.(client);
        await this.#subscribe(client);
        this.#up = client.connected;
        this.#o.logger.info({ side: this.#o.what }, 'bridge connected');
        this.#o.onUp(true);
      } catch (err) {
        if (!this.#closed) {
          failures++;
          const level = failures === 1 || failures % WARN_EVERY === 0 ? 'warn' : 'debug';
          this.#o.logger[level]({ err, side: this.#o.what, failures }, 'bridge cannot connect; retrying');
        }
        // A failed subscription leaves a live client that would carry nothing: start over.
        if (connected) await client.end(true);
      }
      await ended;
      this.#down();
      if (this.#client === client) this.#client = undefined;
      if (this.#closed) break;
      await this.#sleep(reconnectDelay(Math.max(failures, 1), this.#o.delayMin, this.#o.delayMax) * 1000);
    }
  }

  #down(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#o.logger.warn({ side: this.#o.what }, 'bridge connection lost');
    this.#o.onDown();
  }

  async #subscribe(client: MqttClient): Promise<void> {
    // One SUBSCRIBE per QoS: the client's subscribe() takes one QoS for its filters.
    const byQos = new Map<number, string[]>();
    for (const s of this.#o.subscriptions) byQos.set(s.qos, [...(byQos.get(s.qos) ?? []), s.filter]);
    const v5 = client.options.protocolVersion === 5;
    for (const [qos, filters] of byQos) {
      await client.subscribe(filters, { qos: qos as 0 | 1 | 2, ...(v5 ? this.#o.subscribeOptions : {}) });
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = setTimeout(resolve, ms);
    });
  }
}
