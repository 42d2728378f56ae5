/**
 * https endpoints: a throwaway self-signed certificate for 127.0.0.1 (openssl CLI, into a temp dir, so
 * no key is committed) is trusted through `tls.ca`, and not without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PluginHooks } from '@midge/mqtt-core';
import { authenticateRequest, logText, setupPlugin, testClientInfo } from '@midge/mqtt-core/testing';
import plugin from '../src/index.js';

let dir: string;
let server: Server;
let origin: string;
const hooksToClose: PluginHooks[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'midge-auth-http-tls-'));
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  server = createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"result":"allow"}');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const h of hooksToClose.splice(0)) await h.close?.();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function setup(config: unknown) {
  const result = await setupPlugin(plugin, config, { configDir: dir });
  hooksToClose.push(result.hooks);
  return result;
}
const connect = async (hooks: PluginHooks) =>
  await hooks.authenticate!(authenticateRequest(testClientInfo('alice'), 'secret'));

describe('https endpoints', () => {
  it('trusts the CA in tls.ca (a path relative to the config folder)', async () => {
    const { hooks } = await setup({ authenticate: { url: `${origin}/auth` }, tls: { ca: 'cert.pem' } });
    expect(await connect(hooks)).toEqual({ verdict: 'allow' });
  });

  it('refuses a certificate it does not trust: the endpoint failed, and fail closed denies', async () => {
    const { hooks, ctx } = await setup({ authenticate: { url: `${origin}/auth` } });
    expect((await connect(hooks)).verdict).toBe('deny');
    expect(logText(ctx.logger.records, 'warn')).toMatch(/authenticate endpoint failed: .*(certificate|CERT)/i);
  });

  it('midge --check reports a tls.ca that is missing or not a certificate', async () => {
    const check = async (ca: string) =>
      await plugin.check!(
        { name: plugin.name, key: plugin.name, configDir: dir },
        {
          authenticate: { url: `${origin}/auth` },
          tls: { ca },
        },
      );
    expect(await check('cert.pem')).toEqual([]);
    const missing = await check('missing.pem');
    expect(missing.map((p) => p.option)).toEqual([['tls', 'ca']]);
    expect(missing[0]?.message).toMatch(`cannot read tls.ca ${join(dir, 'missing.pem')}`);
    expect((await check('key.pem'))[0]?.message).toMatch('has no PEM certificate');
  });

  it('fails to start when tls.ca cannot be read, naming the file', async () => {
    await expect(setup({ authenticate: { url: `${origin}/auth` }, tls: { ca: 'missing.pem' } })).rejects.toThrow(
      join(dir, 'missing.pem'),
    );
  });
});
