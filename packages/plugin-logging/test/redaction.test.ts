/**
 * Finding 5 of the hardening issue: the packet logger must not write secrets. CONNACK/AUTH
 * authentication data, User Property values and a username no authentication accepted (often a
 * password typed into the wrong field) are redacted; the username appears once CONNACK accepts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allow, authenticated, createLogger, definePlugin, deny } from '@midge/mqtt-core';
import { RawClient, createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';
import { packetLogger } from '../src/index.js';
import { redactedUsername } from '../src/redact.js';

const PASSWORD_AS_USERNAME = 'Tr0ub4dor&3-in-the-user-field';
const PASSWORD = 'hunter2-password';
const CLIENT_AUTH_DATA = 'client-first-SECRET-1234';
const SERVER_AUTH_DATA = 'server-final-SECRET-5678';
const TOKEN = 'Bearer eyJ-TOKEN-SECRET';
const CORRELATION = 'correlation-SECRET';

interface Line {
  msg: string;
  direction?: string;
  clientId?: string;
  username?: string;
  packet?: Record<string, unknown> & { properties?: Record<string, unknown> };
}

let tb: TestBroker | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

const auth = definePlugin({
  name: 'test-auth',
  apiVersion: 1,
  setup: () => ({
    authenticate: (req) => (req.client.username === 'alice' ? allow : deny('unknown user', { reasonCode: 0x86 })),
    enhancedAuth: { methods: ['ONE-STEP'], step: () => authenticated(Buffer.from(SERVER_AUTH_DATA)) },
  }),
});

async function start(): Promise<{ lines: () => Line[]; text: () => string }> {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void raw.push(s) } });
  tb = await createTestBroker({}, { logger, plugins: [packetLogger, auth] });
  return {
    lines: () => raw.map((s) => JSON.parse(s) as Line),
    text: () => raw.join('\n'),
  };
}

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(tb!.port);
  clients.push(c);
  return c;
}

const packetLines = (lines: Line[]): Line[] => lines.filter((l) => l.direction !== undefined);

describe('packet logger redaction (finding 5)', () => {
  it('a refused username is logged only as its length and a keyed tag, never in clear', async () => {
    const log = await start();
    const c = await client();
    expect(
      (
        await c.connect({
          protocolVersion: 5,
          clientId: 'r',
          username: PASSWORD_AS_USERNAME,
          password: Buffer.from(PASSWORD),
        })
      ).reasonCode,
    ).toBe(0x86);
    const v3 = await client();
    expect((await v3.connect({ protocolVersion: 4, clientId: 'r3', username: PASSWORD_AS_USERNAME })).reasonCode).toBe(
      0x04,
    );
    const lines = packetLines(log.lines());
    expect(lines.map((l) => `${l.direction!} ${String(l.packet?.type)}`)).toEqual([
      'in connect',
      'out connack',
      'in connect',
      'out connack',
    ]);
    const tag = redactedUsername(PASSWORD_AS_USERNAME);
    expect(tag).toMatch(/^<redacted: 29 chars, #[0-9a-f]{8}>$/);
    expect(lines[0]!.packet).toMatchObject({ username: tag, password: '<redacted>' });
    expect(lines[2]!.packet).toMatchObject({ username: tag }); // the same name gives the same tag
    expect(lines[1]!.username).toBeUndefined();
    expect(log.text()).not.toContain(PASSWORD_AS_USERNAME);
    expect(log.text()).not.toContain(PASSWORD);
  });

  it('an accepted username appears in clear on the CONNACK that accepts it, not on the CONNECT', async () => {
    const log = await start();
    const c = await client();
    expect(
      (await c.connect({ protocolVersion: 4, clientId: 'a', username: 'alice', password: Buffer.from(PASSWORD) }))
        .reasonCode,
    ).toBe(0);
    const [connect, connack] = packetLines(log.lines());
    expect(connect!.packet!.username).toBe(redactedUsername('alice'));
    expect(connack).toMatchObject({
      direction: 'out',
      clientId: 'a',
      username: 'alice',
      packet: { type: 'connack', reasonCode: 0 },
    });
    expect(log.text()).not.toContain(PASSWORD);
  });

  it("[MQTT-4.12.0-5] CONNACK authentication data (and CONNECT's) is redacted", async () => {
    const log = await start();
    const c = await client();
    const ack = await c.connect({
      protocolVersion: 5,
      clientId: 'e',
      properties: { authenticationMethod: 'ONE-STEP', authenticationData: Buffer.from(CLIENT_AUTH_DATA) },
    });
    expect(ack.properties?.authenticationData?.toString()).toBe(SERVER_AUTH_DATA);
    const [connect, connack] = packetLines(log.lines());
    expect(connect!.packet!.properties).toMatchObject({
      authenticationMethod: 'ONE-STEP',
      authenticationData: '<redacted>',
    });
    expect(connack!.packet!.properties).toMatchObject({
      authenticationMethod: 'ONE-STEP',
      authenticationData: '<redacted>',
    });
    // Buffers would be logged as byte arrays: check the bytes do not appear either.
    expect(log.text()).not.toContain(JSON.stringify([...Buffer.from(SERVER_AUTH_DATA)]).slice(1, -1));
  });

  it('User Property values and Correlation Data are redacted in CONNECT, SUBSCRIBE and PUBLISH; names stay', async () => {
    const log = await start();
    const s = await client();
    await s.connect({
      protocolVersion: 5,
      clientId: 's',
      username: 'alice',
      properties: { userProperties: [['authorization', TOKEN]] },
    });
    s.send(
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topic: 't', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
        properties: { userProperties: [['sub', TOKEN]] },
      },
      5,
    );
    await s.expectPacket('suback');
    s.send(
      {
        type: 'publish',
        topic: 't',
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
        properties: {
          userProperties: [['authorization', TOKEN]],
          correlationData: Buffer.from(CORRELATION),
          responseTopic: 'reply',
        },
      },
      5,
    );
    const got = await s.expectPacket('publish');
    expect(got.properties?.userProperties).toEqual([['authorization', TOKEN]]); // delivered intact
    const lines = packetLines(log.lines());
    const publishes = lines.filter((l) => l.packet?.type === 'publish');
    expect(publishes.map((l) => l.direction)).toEqual(['in', 'out']);
    expect(publishes[0]!.packet!.properties).toMatchObject({
      userProperties: [['authorization', '<redacted>']],
      correlationDataBytes: CORRELATION.length,
      responseTopic: 'reply',
    });
    expect(lines.find((l) => l.packet?.type === 'subscribe')!.packet!.properties).toMatchObject({
      userProperties: [['sub', '<redacted>']],
    });
    expect(lines[0]!.packet!.properties).toMatchObject({ userProperties: [['authorization', '<redacted>']] });
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain(CORRELATION);
  });
});
