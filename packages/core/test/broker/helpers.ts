import type { ConnectPacket, PublishPacket, QoS, Subscription } from '../../src/codec/packets.js';
import { createTestBroker, RawClient, type TestBroker } from '../../src/testing/index.js';
import type { BrokerOptions } from '../../src/broker/broker.js';

/** Every broker and client a test opened, closed after it. */
export class Harness {
  tb!: TestBroker;
  readonly clients: RawClient[] = [];

  async start(config: Record<string, unknown> = {}, options: BrokerOptions = {}): Promise<TestBroker> {
    this.tb = await createTestBroker(config, options);
    return this.tb;
  }

  async client(): Promise<RawClient> {
    const c = await RawClient.connect(this.tb.port);
    this.clients.push(c);
    return c;
  }

  /** A connected client (CONNACK 0 checked). */
  async connected(
    clientId = '',
    options: {
      clean?: boolean;
      keepalive?: number;
      protocolVersion?: 3 | 4;
      will?: { topic: string; payload: Buffer; qos: QoS; retain: boolean };
      username?: string;
      password?: Buffer;
    } = {},
  ): Promise<RawClient> {
    const c = await this.client();
    const ack = await c.connect({ clientId, ...options });
    if (ack.reasonCode !== 0) throw new Error(`CONNACK ${ack.reasonCode}`);
    return c;
  }

  /** A connected client subscribed to `filter` (SUBACK checked). */
  async subscriber(filter: string, qos: QoS = 0, clientId = ''): Promise<RawClient> {
    const c = await this.connected(clientId);
    await subscribe(c, filter, qos);
    return c;
  }

  /** A connected MQTT 5 client (CONNACK 0 checked). */
  async v5(clientId: string, extra: Partial<Omit<ConnectPacket, 'type'>> = {}): Promise<RawClient> {
    const c = await this.client();
    const ack = await c.connect({ protocolVersion: 5, clientId, ...extra });
    if (ack.reasonCode !== 0) throw new Error(`CONNACK 0x${ack.reasonCode.toString(16)}`);
    return c;
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    await this.tb?.close();
  }
}

let nextId = 1;
export async function subscribe(c: RawClient, filter: string, qos: QoS = 0): Promise<number[]> {
  const packetId = nextId++;
  c.send({ type: 'subscribe', packetId, subscriptions: [{ topic: filter, qos }] });
  const ack = await c.expectPacket('suback');
  if (ack.packetId !== packetId) throw new Error('SUBACK packet id mismatch');
  return ack.reasonCodes;
}

export function publish(
  c: RawClient,
  topic: string,
  payload: string | Buffer,
  qos: QoS = 0,
  retain = false,
  packetId?: number,
): void {
  c.send({
    type: 'publish',
    topic,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
    qos,
    retain,
    dup: false,
    packetId: qos === 0 ? undefined : (packetId ?? nextId++),
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn()` is true (or fails after `timeoutMs`, naming `what`). */
export async function until(fn: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * A PINGREQ/PINGRESP round trip on `c`, which must bring nothing before the PINGRESP: the broker answers
 * in order, so whatever it had queued for `c` when it read the PINGREQ has arrived by then. The way to
 * show that something was not delivered without waiting a fixed time: first make sure the broker has
 * handled what could have caused it (a PUBACK, or a barrier on the sender), then `barrier` the receiver.
 */
export function barrier(c: RawClient): Promise<void> {
  return c.expectNothingBeforePingresp();
}

/** A promise the test settles itself: what a plugin awaits to answer exactly when the test says. */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Resolves once the broker has handled the disconnection of `clientId` (its `client:disconnected`
 * event). Call it before causing the disconnection.
 */
export function disconnection(broker: TestBroker['broker'], clientId: string): Promise<void> {
  return new Promise((resolve) => {
    const seen = (e: { client: { clientId: string } }): void => {
      if (e.client.clientId !== clientId) return;
      broker.off('client:disconnected', seen);
      resolve();
    };
    broker.on('client:disconnected', seen);
  });
}

/** A v5 SUBSCRIBE of one filter (options default to 0/false); resolves with the SUBACK reason codes. */
export async function subscribeV5(
  c: RawClient,
  sub: Partial<Subscription> & { topic: string },
  subscriptionId?: number,
): Promise<number[]> {
  const packetId = nextId++;
  c.send(
    {
      type: 'subscribe',
      packetId,
      subscriptions: [{ qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, ...sub }],
      ...(subscriptionId !== undefined ? { properties: { subscriptionIdentifier: [subscriptionId] } } : {}),
    },
    5,
  );
  return (await c.expectPacket('suback')).reasonCodes;
}

/** A v5 PUBLISH; returns its packet id (undefined at QoS 0). */
export function publishV5(
  c: RawClient,
  topic: string,
  payload: string,
  qos: QoS = 0,
  extra: Partial<PublishPacket> = {},
): number | undefined {
  const packetId = qos === 0 ? undefined : nextId++;
  c.send(
    { type: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false, packetId, ...extra },
    5,
  );
  return packetId;
}
