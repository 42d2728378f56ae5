/**
 * In a real broker: the plugin is named by its package name under `plugins:`, reads its password file,
 * and its decisions show up as CONNACK return codes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatPasswordLine } from '../src/index.js';
import { connectClient, packageDir, siblingDir, startBroker } from './broker-helpers.js';

// alice / secret (glibc crypt), bob / mosq-pw (mosquitto_passwd $7$).
const ALICE =
  'alice:$6$saltsaltsaltsalt$ph0yGsyjzqdeFaon7.gJZo8eAG5/rj9/JdzOu1Rl7dKzBYg3xgvl7T2VQ2Rt81bc5AXkdA54r0p8QvC1omD6R1';
const BOB =
  'bob:$7$101$LY3s6wGPFaLCk47/$XlgUnvjeSrxc2a/Jq8n/i8ybg+MTzzwDh7ffi8k561MO2PVC32/YbE5g0ZVVpk88ZqTGBxbTwTPTLvcWJZ6iaw==';

let dir: string;
let passwd: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-file-broker-'));
  passwd = join(dir, 'passwd');
  await writeFile(passwd, `# test users\n${ALICE}\n${BOB}\n`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pw = (s: string) => Buffer.from(s);

describe('@midge/plugin-auth-file in a broker', () => {
  it('accepts the right password (crypt and Mosquitto hashes) and refuses the rest with CONNACK 4', async () => {
    await startBroker({ '@midge/plugin-auth-file': { password_file: passwd } });
    expect((await connectClient({ username: 'alice', password: pw('secret') })).code).toBe(0);
    expect((await connectClient({ username: 'bob', password: pw('mosq-pw') })).code).toBe(0);
    expect((await connectClient({ username: 'alice', password: pw('wrong') })).code).toBe(4);
    expect((await connectClient({ username: 'mallory', password: pw('secret') })).code).toBe(4);
    // No username: this plugin abstains, nobody allows → refused as not authorized.
    expect((await connectClient()).code).toBe(5);
  });

  it('accepts an aMQTT 0.12 password file: argon2id hashes (argon2-cffi), beside bcrypt and crypt', async () => {
    // Written by argon2-cffi 25.1.0's PasswordHasher (as aMQTT 0.12 hashes) and Python's bcrypt.
    const amqtt = join(dir, 'amqtt-passwd');
    await writeFile(
      amqtt,
      [
        'carol:$argon2id$v=19$m=65536,t=3,p=4$dMtSqIdQkXluLannWm8cJA$yImpVGk9wHyZoron7FwNn0AcK3X8FpFbhXPJscXuuPw',
        'dave:$2b$05$wTbPnd0uRibAeI3FVPU8w.KUlJtCgo77DOseMnd.qkWH6RZYdFMb.',
        ALICE,
        '',
      ].join('\n'),
    );
    await startBroker({ '@midge/plugin-auth-file': { password_file: amqtt } });
    expect((await connectClient({ username: 'carol', password: pw('s3cret-amqtt') })).code).toBe(0);
    expect((await connectClient({ username: 'carol', password: pw('s3cret') })).code).toBe(4);
    expect((await connectClient({ username: 'dave', password: pw('bcrypt-pass') })).code).toBe(0);
    expect((await connectClient({ username: 'dave', password: pw('bcrypt') })).code).toBe(4);
    expect((await connectClient({ username: 'alice', password: pw('secret') })).code).toBe(0);
  });

  it('with auth-anonymous admits anonymous clients, but a wrong password still fails', async () => {
    await startBroker(
      {
        '@midge/plugin-auth-anonymous': { allow_anonymous: true },
        '@midge/plugin-auth-file': { password_file: passwd },
      },
      [packageDir, siblingDir('plugin-auth-anonymous')],
    );
    expect((await connectClient()).code).toBe(0);
    expect((await connectClient({ username: 'alice', password: pw('secret') })).code).toBe(0);
    expect((await connectClient({ username: 'alice', password: pw('nope') })).code).toBe(4); // any deny denies
  });

  it('picks up changes on reload without dropping connected clients who are still in the file', async () => {
    const { broker } = await startBroker({ '@midge/plugin-auth-file': { password_file: passwd } });
    const { client, code } = await connectClient({ username: 'alice', password: pw('secret') });
    expect(code).toBe(0);
    // alice's password changes (she stays a user); removed users are disconnected (disconnect-removed.test.ts).
    await writeFile(
      passwd,
      `${await formatPasswordLine('carol', 'new-pw')}\n${await formatPasswordLine('alice', 'changed')}\n`,
    );
    await broker.reload();
    expect((await connectClient({ username: 'carol', password: pw('new-pw') })).code).toBe(0);
    expect((await connectClient({ username: 'alice', password: pw('secret') })).code).toBe(4);
    expect(client.closedYet).toBe(false);
    client.send({ type: 'pingreq' });
    await client.expectPacket('pingresp');
  });

  it('fails to start when the password file is missing, naming it', async () => {
    await expect(startBroker({ '@midge/plugin-auth-file': { password_file: join(dir, 'missing') } })).rejects.toThrow(
      join(dir, 'missing'),
    );
  });
});
