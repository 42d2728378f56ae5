/** The README's complete config is a config the broker accepts: every option it shows exists and is valid. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { checkConfig } from '@midge/mqtt-core';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it('the complete config in the README passes midge --check', async () => {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(yaml).toContain("'@midge/plugin-auth-http':");
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-http-readme-'));
  // The file tls.ca names: check reads it and wants a PEM certificate in it.
  await mkdir(join(dir, 'certs'));
  await writeFile(join(dir, 'certs', 'auth-ca.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  await writeFile(join(dir, 'broker.yaml'), yaml ?? '');
  const result = await checkConfig(join(dir, 'broker.yaml'), { searchDirs: [packageDir], store: false });
  expect(result.issues).toEqual([]);
  expect(result.ok).toBe(true);
});
