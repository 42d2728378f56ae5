import { afterEach, describe, expect, it } from 'vitest';
import type { AuthPacket, Packet } from '../../src/codec/packets.js';
import { connect, MqttClient, resolveClientOptions, type AuthChallenge } from '../../src/client/index.js';
import { nextEvent, startFakeServer, type FakeServer } from './helpers.js';

let fake: FakeServer | undefined;
let client: MqttClient | undefined;
afterEach(async () => {
  await client?.end(true);
  await fake?.close();
  fake = client = undefined;
});

const METHOD = 'SCRAM-SHA-1';
const CONTINUE = 0x18;
const REAUTHENTICATE = 0x19;

function auth(reasonCode: number, method: string | undefined, data?: string): AuthPacket {
  return {
    type: 'auth',
    reasonCode,
    properties: {
      ...(method !== undefined ? { authenticationMethod: method } : {}),
      ...(data !== undefined ? { authenticationData: Buffer.from(data) } : {}),
    },
  };
}

const authOptions = {
  protocolVersion: 5,
  properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') },
} as const;

/** Records the challenges and answers `<challenge data>-answer`. */
function answering(): { seen: AuthChallenge[]; authenticate: (c: AuthChallenge) => Promise<Buffer> } {
  const seen: AuthChallenge[] = [];
  return {
    seen,
    authenticate: async (c) => {
      seen.push(c);
      await new Promise((r) => setImmediate(r)); // answered in a later turn, as a real SASL step may be
      return Buffer.from(`${c.data?.toString() ?? ''}-answer`);
    },
  };
}

/**
 * The broker side of a challenge/response login: the CONNECT gets the first challenge, each AUTH 0x18 of
 * the client the next one, and the answer to the last one a CONNACK carrying `server-final`.
 */
function challengeBroker(challenges: readonly string[]) {
  const step = new Map<number, number>();
  return (p: Packet, reply: (p: Packet) => void, conn: number): void => {
    if (p.type !== 'connect' && !(p.type === 'auth' && p.reasonCode === CONTINUE)) return;
    const n = step.get(conn) ?? 0;
    step.set(conn, n + 1);
    const challenge = challenges[n];
    if (challenge !== undefined) reply(auth(CONTINUE, METHOD, challenge));
    else
      reply({
        type: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('server-final') },
      });
  };
}

const authsFromClient = (f: FakeServer, conn = 0) =>
  f.received.filter((r) => r.conn === conn && r.packet.type === 'auth').map((r) => r.packet);

describe('enhanced authentication while connecting (scripted broker)', () => {
  it("[MQTT-4.12.0-3] answers each AUTH 0x18 before CONNACK through authenticate, with the CONNECT's method", async () => {
    const script = challengeBroker(['server-first', 'server-second']);
    fake = await startFakeServer((p, reply, _socket, conn) => script(p, reply, conn));
    const { seen, authenticate } = answering();
    client = await connect(fake.url, { ...authOptions, authenticate });

    expect(fake.received[0]?.packet).toMatchObject({
      type: 'connect',
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') },
    });
    expect(seen).toEqual([
      { method: METHOD, data: Buffer.from('server-first'), reauthenticating: false },
      { method: METHOD, data: Buffer.from('server-second'), reauthenticating: false },
    ]);
    expect(authsFromClient(fake)).toEqual([
      auth(CONTINUE, METHOD, 'server-first-answer'),
      auth(CONTINUE, METHOD, 'server-second-answer'),
    ]);
    expect(client.connack?.properties).toEqual({
      authenticationMethod: METHOD,
      authenticationData: Buffer.from('server-final'),
    });
  });

  it('sends an AUTH 0x18 without authentication data when authenticate returns undefined', async () => {
    const script = challengeBroker(['server-first']);
    fake = await startFakeServer((p, reply, _socket, conn) => script(p, reply, conn));
    client = await connect(fake.url, { ...authOptions, authenticate: () => undefined });
    expect(authsFromClient(fake)).toEqual([auth(CONTINUE, METHOD)]);
  });

  it('an AUTH challenge to a client without an authenticate option is a protocol error', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply(auth(CONTINUE, METHOD, 'server-first'));
    });
    await expect(connect(fake.url, authOptions)).rejects.toMatchObject({
      code: 'CLIENT_PROTOCOL',
      message: 'the broker asked to continue authentication (AUTH 0x18) but the client has no authenticate option',
    });
    expect(authsFromClient(fake)).toEqual([]);
  });

  it('[MQTT-4.12.0-6] an AUTH to a client whose CONNECT named no authentication method is a protocol error', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply(auth(CONTINUE, METHOD, 'server-first'));
    });
    await expect(connect(fake.url, { protocolVersion: 5 })).rejects.toMatchObject({
      code: 'CLIENT_PROTOCOL',
      message: expect.stringContaining('no authentication method') as string,
    });
  });

  it('[MQTT-4.12.0-5] an AUTH naming another authentication method is a protocol error', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply(auth(CONTINUE, 'GS2-KRB5', 'server-first'));
    });
    const { seen, authenticate } = answering();
    await expect(connect(fake.url, { ...authOptions, authenticate })).rejects.toMatchObject({
      code: 'CLIENT_PROTOCOL',
      message:
        "the broker's AUTH names authentication method 'GS2-KRB5', not 'SCRAM-SHA-1' as the CONNECT did [MQTT-4.12.0-5]",
    });
    expect(seen).toEqual([]);
  });

  it('[MQTT-4.12.0-2] an AUTH other than 0x18 before CONNACK is a protocol error', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply(auth(0x00, METHOD));
    });
    await expect(connect(fake.url, { ...authOptions, authenticate: () => undefined })).rejects.toMatchObject({
      code: 'CLIENT_PROTOCOL',
      message: expect.stringContaining('reason code 0x00 before CONNACK') as string,
    });
  });

  it('closes the connection when the authenticate option fails, with its error as the cause', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply(auth(CONTINUE, METHOD, 'server-first'));
    });
    const failure = new Error('no key for this server');
    const err = (await connect(fake.url, { ...authOptions, authenticate: () => Promise.reject(failure) }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err).toMatchObject({
      code: 'CLIENT_PROTOCOL',
      message: 'the authenticate option failed: no key for this server',
    });
    expect(err.cause).toBe(failure);
  });

  it('authenticate needs protocolVersion 5 and an authentication method', () => {
    const authenticate = () => undefined;
    expect(() => resolveClientOptions({ authenticate, protocolVersion: 5 })).toThrow(
      expect.objectContaining({ code: 'CLIENT_INVALID_ARGUMENT' }) as Error,
    );
    expect(() => resolveClientOptions({ authenticate, properties: { authenticationMethod: METHOD } })).toThrow(
      /protocolVersion 5/,
    );
  });

  it('runs the exchange again on the CONNECT of each reconnect', async () => {
    const script = challengeBroker(['server-first']);
    fake = await startFakeServer((p, reply, socket, conn) => {
      script(p, reply, conn);
      // The first session ends once it is up (end: after the CONNACK just written): the client reconnects.
      if (conn === 0 && p.type === 'auth') socket.end();
    });
    const { seen, authenticate } = answering();
    const c = await connect(fake.url, { ...authOptions, authenticate, reconnectInitialDelay: 0.05 });
    client = c;
    const [again] = await nextEvent(c, 'connect');
    expect(again.properties?.authenticationData).toEqual(Buffer.from('server-final'));
    expect(fake.received.filter((r) => r.conn === 1).map((r) => r.packet.type)).toEqual(['connect', 'auth']);
    expect(fake.received.find((r) => r.conn === 1)?.packet).toMatchObject({
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') },
    });
    expect(authsFromClient(fake, 1)).toEqual([auth(CONTINUE, METHOD, 'server-first-answer')]);
    expect(seen.map((s) => s.reauthenticating)).toEqual([false, false]);
  });
});

describe('re-authentication (scripted broker)', () => {
  /** Connects with enhanced authentication, then lets `onReauth` script what follows the client's AUTH 0x19. */
  async function reauthBroker(onReauth: (p: AuthPacket, reply: (p: Packet) => void) => void): Promise<FakeServer> {
    const script = challengeBroker(['server-first']);
    let connected = false;
    return startFakeServer((p, reply, _socket, conn) => {
      if (!connected) {
        script(p, reply, conn);
        connected = p.type === 'auth';
        return;
      }
      if (p.type === 'auth') onReauth(p, reply);
    });
  }

  it('[MQTT-4.12.1-1] reauthenticate() sends AUTH 0x19 with the method, answers 0x18 rounds and resolves on AUTH 0x00', async () => {
    fake = await reauthBroker((p, reply) => {
      reply(p.reasonCode === REAUTHENTICATE ? auth(CONTINUE, METHOD, 'server-again') : auth(0x00, METHOD));
    });
    const { seen, authenticate } = answering();
    client = await connect(fake.url, { ...authOptions, authenticate });
    await client.reauthenticate(Buffer.from('client-again'));

    expect(authsFromClient(fake).slice(1)).toEqual([
      auth(REAUTHENTICATE, METHOD, 'client-again'),
      auth(CONTINUE, METHOD, 'server-again-answer'),
    ]);
    expect(seen.at(-1)).toEqual({ method: METHOD, data: Buffer.from('server-again'), reauthenticating: true });
    expect(client.connected).toBe(true);
  });

  it('rejects when the broker refuses the re-authentication with DISCONNECT 0x87', async () => {
    fake = await reauthBroker((p, reply) => {
      reply({ type: 'disconnect', reasonCode: 0x87, properties: { reasonString: 'token expired' } });
    });
    client = await connect(fake.url, { ...authOptions, authenticate: () => undefined, autoReconnect: false });
    await expect(client.reauthenticate(Buffer.from('stale'))).rejects.toMatchObject({
      code: 'CLIENT_NETWORK',
      reasonCode: 0x87,
      message: 'the re-authentication did not finish: the broker disconnected (reason code 0x87: token expired)',
    });
  });

  it('allows one re-authentication at a time', async () => {
    let finish: (() => void) | undefined;
    fake = await reauthBroker((_p, reply) => {
      finish = () => reply(auth(0x00, METHOD));
    });
    client = await connect(fake.url, { ...authOptions, authenticate: () => undefined });
    const first = client.reauthenticate();
    await expect(client.reauthenticate()).rejects.toMatchObject({
      code: 'CLIENT_INVALID_ARGUMENT',
      message: expect.stringContaining('already under way') as string,
    });
    await expect.poll(() => finish).toBeDefined();
    finish?.();
    await first;
    expect(authsFromClient(fake).slice(1)).toEqual([auth(REAUTHENTICATE, METHOD)]);
  });

  it('[MQTT-4.12.0-7] reauthenticate() without an authentication method at CONNECT rejects and sends nothing', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    });
    client = await connect(fake.url, { protocolVersion: 5 });
    await expect(client.reauthenticate(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLIENT_INVALID_ARGUMENT' });
    expect(authsFromClient(fake)).toEqual([]);
  });

  it('reauthenticate() before connect() rejects with CLIENT_NOT_CONNECTED', async () => {
    const idle = new MqttClient({ ...authOptions, authenticate: () => undefined });
    await expect(idle.reauthenticate()).rejects.toMatchObject({ code: 'CLIENT_NOT_CONNECTED' });
  });

  it('an AUTH from the broker while no re-authentication is under way is a protocol error', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      // The unasked AUTH comes once the test listens: it subscribes after adding its listener.
      if (p.type === 'subscribe') reply(auth(0x00, METHOD));
    });
    const c = await connect(fake.url, { ...authOptions, authenticate: () => undefined, autoReconnect: false });
    client = c;
    const failed = nextEvent(c, 'error');
    c.subscribe('t').catch(() => undefined);
    const [error] = await failed;
    // Reported as the lost connection, caused by the protocol error.
    expect(error.cause).toMatchObject({
      code: 'CLIENT_PROTOCOL',
      message: expect.stringContaining('no re-authentication was under way') as string,
    });
  });
});
