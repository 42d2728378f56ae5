/**
 * Seeded stateful fuzzer (issue 11, finding 1): random sequences of valid and invalid packets, per
 * protocol version, from one or two raw sockets against a real broker in this process. Single-packet
 * fuzzing never found the second-CONNECT crash; sequences did (CONNECT twice, then anything).
 *
 * After each sequence: no exception reached the process (uncaughtException / unhandledRejection), every
 * attacking connection is gone, and a fresh client still connects, subscribes, publishes and receives.
 *
 * CI runs a bounded number of sequences with a fixed seed plus one random seed (fast-check prints the
 * seed and path of a failure: replay with MIDGE_FUZZ_SEED and MIDGE_FUZZ_PATH). A long run:
 *   MIDGE_FUZZ_RUNS=100000 npx vitest run packages/core/test/hardening/stateful-fuzz.test.ts
 * or `pnpm --filter @midge/bench run fuzz` (bench/README.md).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/codec/index.js';
import type { ConnectPacket, Packet, ProtocolVersion, QoS } from '../../src/codec/packets.js';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import { createTestBroker, RawClient, type TestBroker } from '../../src/testing/index.js';

const RUNS = Number(process.env.MIDGE_FUZZ_RUNS ?? 100);
const FIXED_SEED = 0x11c0ffee;
const REPLAY_SEED = process.env.MIDGE_FUZZ_SEED === undefined ? undefined : Number(process.env.MIDGE_FUZZ_SEED);
const REPLAY_PATH = process.env.MIDGE_FUZZ_PATH;
/** Budget per test: generous per sequence, so a long run is bounded by MIDGE_FUZZ_RUNS alone. */
const TIMEOUT_MS = 20_000 + RUNS * 150;

// ---- what an attacker sends -------------------------------------------------------------------

type Action =
  | {
      kind: 'packet';
      conn: number;
      packet: Packet;
      version: ProtocolVersion;
      flip?: readonly [at: number, xor: number] | undefined;
    }
  /** A CONNECT whose level or name is overwritten after encoding (the encoder refuses to write them). */
  | { kind: 'bad-connect'; conn: number; packet: ConnectPacket; level?: number | undefined; name?: 'MQTX' | undefined }
  /** Any fixed header (16 types x 16 flag nibbles) with a random body. */
  | { kind: 'frame'; conn: number; first: number; body: Uint8Array }
  | { kind: 'bytes'; conn: number; bytes: Uint8Array }
  /** Let the broker answer before the next write (a macrotask). */
  | { kind: 'pause' }
  | { kind: 'end'; conn: number };

const topics = fc.constantFrom(
  'fz/a',
  'fz/b/c',
  '',
  '#',
  'fz/+',
  '$SYS/x',
  '$share/g/fz',
  'ü/€',
  't\u0001',
  'x'.repeat(300),
);
const filters = fc.constantFrom(
  'fz/#',
  'fz/a',
  '#',
  '+/+',
  '',
  '$share/g/fz/#',
  '$share//a',
  '$share/g',
  'a/#/b',
  'a+',
  '$SYS/#',
  '/'.repeat(40),
);
const packetIds = fc.constantFrom(1, 2, 42, 65535);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const reasonCodes = fc.constantFrom(0x00, 0x04, 0x10, 0x80, 0x81, 0x83, 0x84, 0x87, 0x92, 0x97);
const conn = fc.constantFrom(0, 0, 0, 1);

function connectPacket(version: ProtocolVersion): fc.Arbitrary<ConnectPacket> {
  return fc
    .record({
      clean: fc.boolean(),
      keepalive: fc.constantFrom(0, 0, 60, 65535),
      clientId: fc.constantFrom('', 'fz-a', 'fz-b', 'fz-a', 'x'.repeat(30)),
      will: fc.option(fc.record({ topic: topics, payload: fc.constant(Buffer.from('w')), qos, retain: fc.boolean() }), {
        nil: undefined,
      }),
      username: fc.option(fc.constantFrom('alice', 'bob', 'deny'), { nil: undefined }),
      sessionExpiryInterval: fc.option(fc.constantFrom(0, 10, 0xffffffff), { nil: undefined }),
      receiveMaximum: fc.option(fc.constantFrom(1, 2, 65535), { nil: undefined }),
      maximumPacketSize: fc.option(fc.constantFrom(16, 64, 1024), { nil: undefined }),
      topicAliasMaximum: fc.option(fc.constantFrom(0, 2), { nil: undefined }),
      authenticationMethod: fc.option(fc.constantFrom('SCRAM-SHA-1', 'none'), { nil: undefined, freq: 8 }),
    })
    .map((r) => {
      const p: ConnectPacket = {
        type: 'connect',
        protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion: version,
        clean: r.clean,
        keepalive: r.keepalive,
        clientId: r.clientId,
      };
      if (r.will !== undefined) p.will = r.will;
      if (r.username !== undefined) p.username = r.username;
      if (version === 5) {
        const props: NonNullable<ConnectPacket['properties']> = {};
        if (r.sessionExpiryInterval !== undefined) props.sessionExpiryInterval = r.sessionExpiryInterval;
        if (r.receiveMaximum !== undefined) props.receiveMaximum = r.receiveMaximum;
        if (r.maximumPacketSize !== undefined) props.maximumPacketSize = r.maximumPacketSize;
        if (r.topicAliasMaximum !== undefined) props.topicAliasMaximum = r.topicAliasMaximum;
        if (r.authenticationMethod !== undefined) props.authenticationMethod = r.authenticationMethod;
        p.properties = props;
      }
      return p;
    });
}

function packets(version: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = version === 5;
  const ack = (type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp') =>
    fc
      .record({ packetId: packetIds, reasonCode: reasonCodes })
      .map(({ packetId, reasonCode }): Packet => (v5 ? { type, packetId, reasonCode } : { type, packetId }));
  return fc.oneof(
    connectPacket(version),
    fc
      .record({
        topic: topics,
        qos,
        retain: fc.boolean(),
        dup: fc.boolean(),
        packetId: packetIds,
        payload: fc.constantFrom(Buffer.alloc(0), Buffer.from('p'), Buffer.alloc(2000, 1)),
        topicAlias: fc.option(fc.constantFrom(1, 2, 11, 65535), { nil: undefined }),
      })
      .map((r): Packet => {
        const p: Packet = {
          type: 'publish',
          topic: r.topic,
          payload: r.payload,
          qos: r.qos,
          retain: r.retain,
          dup: r.qos > 0 && r.dup,
        };
        if (r.qos > 0) p.packetId = r.packetId;
        if (v5 && r.topicAlias !== undefined) p.properties = { topicAlias: r.topicAlias };
        return p;
      }),
    ack('puback'),
    ack('pubrec'),
    ack('pubrel'),
    ack('pubcomp'),
    fc
      .record({
        packetId: packetIds,
        subs: fc.array(
          fc.record({
            topic: filters,
            qos,
            noLocal: fc.boolean(),
            retainAsPublished: fc.boolean(),
            retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      })
      .map(({ packetId, subs }): Packet => ({
        type: 'subscribe',
        packetId,
        subscriptions: v5 ? subs : subs.map((s) => ({ topic: s.topic, qos: s.qos })),
      })),
    fc
      .record({ packetId: packetIds, topics: fc.array(filters, { minLength: 1, maxLength: 3 }) })
      .map((r): Packet => ({ type: 'unsubscribe', ...r })),
    fc.constant<Packet>({ type: 'pingreq' }),
    // Packets only a server sends.
    fc.constant<Packet>({ type: 'pingresp' }),
    fc.constant<Packet>(
      v5
        ? { type: 'connack', sessionPresent: false, reasonCode: 0, properties: {} }
        : { type: 'connack', sessionPresent: false, reasonCode: 0 },
    ),
    fc.constant<Packet>(
      v5
        ? { type: 'suback', packetId: 1, reasonCodes: [0], properties: {} }
        : { type: 'suback', packetId: 1, reasonCodes: [0] },
    ),
    fc.constant<Packet>(
      v5 ? { type: 'unsuback', packetId: 1, reasonCodes: [0], properties: {} } : { type: 'unsuback', packetId: 1 },
    ),
    reasonCodes.map((reasonCode): Packet => (v5 ? { type: 'disconnect', reasonCode } : { type: 'disconnect' })),
    fc
      .constantFrom(0x00, 0x18, 0x19)
      .map((reasonCode): Packet => ({ type: 'auth', reasonCode, properties: { authenticationMethod: 'none' } })),
  );
}

function actions(version: ProtocolVersion): fc.Arbitrary<Action[]> {
  const otherVersion = fc.constantFrom<ProtocolVersion>(3, 4, 5);
  const action: fc.Arbitrary<Action> = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('packet' as const),
        conn,
        packet: packets(version),
        version: fc.constant(version),
      }),
    },
    // A packet encoded for another version than the connection speaks.
    {
      weight: 1,
      arbitrary: otherVersion.chain((v) =>
        fc.record({ kind: fc.constant('packet' as const), conn, packet: packets(v), version: fc.constant(v) }),
      ),
    },
    // A valid packet with one byte changed.
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('packet' as const),
        conn,
        packet: packets(version),
        version: fc.constant(version),
        flip: fc.tuple(fc.nat(40), fc.integer({ min: 1, max: 255 })),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('bad-connect' as const),
        conn,
        packet: connectPacket(version === 3 ? 4 : version),
        level: fc.option(fc.constantFrom(0, 2, 3, 4, 5, 6, 255), { nil: undefined }),
        name: fc.option(fc.constant('MQTX' as const), { nil: undefined }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('frame' as const),
        conn,
        first: fc.nat(255),
        body: fc.uint8Array({ maxLength: 24 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('bytes' as const),
        conn,
        bytes: fc.uint8Array({ minLength: 1, maxLength: 48 }),
      }),
    },
    { weight: 4, arbitrary: fc.constant<Action>({ kind: 'pause' }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const), conn }) },
  );
  // Most sequences start with a CONNECT, so the rest reaches a connected session.
  const opening = connectPacket(version).map((packet): Action => ({ kind: 'packet', conn: 0, packet, version }));
  return fc
    .tuple(fc.option(opening, { freq: 4, nil: undefined }), fc.array(action, { minLength: 1, maxLength: 14 }))
    .map(([first, rest]) => (first === undefined ? rest : [first, { kind: 'pause' }, ...rest]));
}

/** The bytes of one action; undefined when the encoder refuses the packet (an invalid combination). */
function bytesOf(a: Exclude<Action, { kind: 'pause' | 'end' }>): Buffer | undefined {
  switch (a.kind) {
    case 'bytes':
      return Buffer.from(a.bytes);
    case 'frame': {
      const body = Buffer.from(a.body);
      return Buffer.concat([Buffer.from([a.first, body.length]), body]);
    }
    case 'bad-connect': {
      const frame = encodePacket(a.packet, a.packet.protocolVersion);
      // Fixed header (1 + 1..2 bytes), then 00 04 'MQTT' and the level.
      const nameAt = frame[1]! & 0x80 ? 5 : 4;
      if (a.name !== undefined) frame[nameAt + 3] = 0x58;
      if (a.level !== undefined) frame[nameAt + 4] = a.level;
      return frame;
    }
    case 'packet': {
      let frame: Buffer;
      try {
        frame = Buffer.from(encodePacket(a.packet, a.version));
      } catch {
        return undefined;
      }
      if (a.flip !== undefined) {
        const [at, xor] = a.flip;
        frame[at % frame.length]! ^= xor;
      }
      return frame;
    }
  }
}

// ---- the broker under attack --------------------------------------------------------------------

/** Exceptions that reached the process while the fuzzer ran (vitest reports them too). */
const escaped: unknown[] = [];
const record = (err: unknown): void => void escaped.push(err);
beforeAll(() => {
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});
afterAll(() => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
});

/** Async authentication and authorization, so packets also queue behind pending plugin decisions. */
const asyncPlugins = definePlugin({
  name: 'fuzz-async-auth',
  apiVersion: 1,
  setup: () => ({
    authenticate: ({ client }) => Promise.resolve(client.username === 'deny' ? deny('fuzz') : allow),
    authorizeTopic: ({ topic }) =>
      topic.startsWith('fz/b') ? Promise.resolve(deny('fuzz')) : topic === 'fz/a' ? allow : Promise.resolve(allow),
  }),
});

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function openSocket(port: number): Promise<Socket> {
  const s = netConnect({ port, host: '127.0.0.1' });
  s.on('error', () => {});
  s.resume(); // what the broker answers is not checked here, only that it survives
  await once(s, 'connect');
  return s;
}

async function attack(tb: TestBroker, sequence: Action[]): Promise<void> {
  const sockets: (Socket | undefined)[] = [];
  const socketFor = async (i: number): Promise<Socket> => (sockets[i] ??= await openSocket(tb.port));
  try {
    for (const a of sequence) {
      if (a.kind === 'pause') {
        await macrotask();
        continue;
      }
      const s = await socketFor(a.conn);
      if (a.kind === 'end') {
        s.end();
        continue;
      }
      const bytes = bytesOf(a);
      if (bytes !== undefined && s.writable) s.write(bytes);
    }
    await macrotask();
  } finally {
    for (const s of sockets) s?.destroy();
  }
}

/** The broker is alive, lets every attacking connection go, and serves a fresh client end to end. */
async function checkServes(tb: TestBroker): Promise<void> {
  if (escaped.length > 0)
    throw new Error(`an exception reached the process: ${String(escaped[0])}`, { cause: escaped[0] });
  const deadline = Date.now() + 3000;
  while (tb.broker.stats().clientsConnected > 0) {
    if (Date.now() > deadline)
      throw new Error(`${tb.broker.stats().clientsConnected} connections still open after the attack`);
    await macrotask();
  }
  const c = await RawClient.connect(tb.port);
  try {
    expect((await c.connect({ clientId: 'fz-check' })).reasonCode).toBe(0);
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'fz-check/#', qos: 1 }] });
    expect((await c.expectPacket('suback')).reasonCodes).toEqual([1]);
    c.send({
      type: 'publish',
      topic: 'fz-check/x',
      payload: Buffer.from('alive'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 7,
    });
    const got = [await c.next(), await c.next()];
    expect(got.map((p) => p.type).sort()).toEqual(['puback', 'publish']);
  } finally {
    c.destroy();
  }
  if (escaped.length > 0)
    throw new Error(`an exception reached the process: ${String(escaped[0])}`, { cause: escaped[0] });
}

async function fuzz(version: ProtocolVersion, seed: number, withPlugins: boolean): Promise<void> {
  const config = { connect_timeout: 2 };
  await fc.assert(
    fc.asyncProperty(actions(version), async (sequence) => {
      // A fresh broker per sequence: a counterexample replays on its own, whatever ran before it.
      escaped.length = 0;
      const tb = await createTestBroker(config, withPlugins ? { plugins: [asyncPlugins] } : {});
      try {
        await attack(tb, sequence);
        await checkServes(tb);
      } finally {
        await tb.close();
      }
    }),
    {
      seed: REPLAY_SEED ?? seed,
      ...(REPLAY_PATH !== undefined ? { path: REPLAY_PATH } : {}),
      numRuns: RUNS,
      endOnFailure: false,
      verbose: 1,
    },
  );
}

describe('stateful fuzzer: random packet sequences never take the broker down', () => {
  // A random seed besides the fixed ones: fast-check prints it with any failure.
  const randomSeed = (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

  for (const version of [3, 4, 5] as const) {
    it(
      `MQTT ${version === 3 ? '3.1' : version === 4 ? '3.1.1' : '5'}: fixed seed`,
      () => fuzz(version, FIXED_SEED + version, false),
      TIMEOUT_MS,
    );
    it(
      `MQTT ${version === 3 ? '3.1' : version === 4 ? '3.1.1' : '5'}: random seed, async plugins`,
      () => fuzz(version, randomSeed + version, true),
      TIMEOUT_MS,
    );
  }
});
