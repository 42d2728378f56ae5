// Finding 5 (secrets in logs): what the broker's own logs and its logger do with passwords, v5
// authentication data and refused usernames. The packet logger's side is in plugin-logging's tests.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { allow, authenticated, definePlugin, deny } from '../../src/plugin-api/index.js';
import { Harness } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const PASSWORD_AS_USERNAME = 'Tr0ub4dor&3-typed-in-the-wrong-field';
const CLIENT_AUTH_DATA = 'client-first-SECRET-1234';
const SERVER_AUTH_DATA = 'server-final-SECRET-5678';
const PASSWORD = 'correct horse battery staple';

function memoryLog(): { lines: string[]; text: () => string; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return {
    lines,
    text: () => lines.join('\n'),
    logger: createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } }),
  };
}

/** Logs what a naive plugin would: whole requests, at debug. */
const chatty = definePlugin({
  name: 'chatty-auth',
  apiVersion: 1,
  setup: (ctx) => ({
    authenticate(req) {
      ctx.logger.debug(
        { request: { password: req.password?.toString(), connect: { properties: req.connect.properties } } },
        'authenticating',
      );
      return req.client.username === 'alice' ? allow : deny('unknown user', { reasonCode: 0x86 });
    },
    enhancedAuth: {
      methods: ['ONE-STEP'],
      step(req) {
        ctx.logger.debug({ step: { authenticationData: req.data } }, 'auth step');
        return authenticated(Buffer.from(SERVER_AUTH_DATA));
      },
    },
  }),
});

describe('secrets in logs (finding 5)', () => {
  it('the logger redacts password and authenticationData fields whoever logs them, nested as packet loggers do', () => {
    const log = memoryLog();
    log.logger.info(
      {
        password: PASSWORD,
        packet: { password: PASSWORD, properties: { authenticationData: Buffer.from(SERVER_AUTH_DATA) } },
      },
      'x',
    );
    log.logger.child({ plugin: 'p' }).debug({ authenticationData: CLIENT_AUTH_DATA }, 'y');
    expect(log.text()).not.toContain(PASSWORD);
    expect(log.text()).not.toContain(SERVER_AUTH_DATA);
    expect(log.text()).not.toContain(CLIENT_AUTH_DATA);
    expect(JSON.parse(log.lines[0]!)).toMatchObject({
      password: '<redacted>',
      packet: { password: '<redacted>', properties: { authenticationData: '<redacted>' } },
    });
  });

  it('a refused CONNECT (password typed as username) and an enhanced-auth CONNACK leave no secret in the broker log at trace level', async () => {
    const log = memoryLog();
    await h.start({ log_level: 'trace' }, { logger: log.logger, plugins: [chatty] });
    const refused = await h.client();
    expect(
      (
        await refused.connect({
          protocolVersion: 5,
          clientId: 'r',
          username: PASSWORD_AS_USERNAME,
          password: Buffer.from(PASSWORD),
        })
      ).reasonCode,
    ).toBe(0x86);
    const v3 = await h.client();
    expect((await v3.connect({ protocolVersion: 4, clientId: 'r3', username: PASSWORD_AS_USERNAME })).reasonCode).toBe(
      0x04,
    );
    const enhanced = await h.client();
    const ack = await enhanced.connect({
      protocolVersion: 5,
      clientId: 'e',
      properties: { authenticationMethod: 'ONE-STEP', authenticationData: Buffer.from(CLIENT_AUTH_DATA) },
    });
    expect(ack.reasonCode).toBe(0);
    expect(ack.properties?.authenticationData?.toString()).toBe(SERVER_AUTH_DATA);
    expect(log.lines.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD_AS_USERNAME, PASSWORD, CLIENT_AUTH_DATA, SERVER_AUTH_DATA])
      expect(log.text()).not.toContain(secret);
  });
});
