// The deployment files in deploy/: the systemd unit passes `systemd-analyze verify` without a warning, the
// Dockerfile has the shape its comments promise (checked here: no hadolint in Debian, no Docker daemon in
// CI to build it), the container's health check tells a live broker from a dead one, and the container's
// config passes `midge --check`.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const deploy = join(root, 'deploy');
const midge = join(root, 'apps', 'broker-cli', 'dist', 'main.js');

/** systemd-analyze's findings on a unit file: its output, which is empty for a clean unit. */
function verify(unit) {
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  if (r.error) throw new Error(`systemd-analyze is needed (Debian package systemd): ${r.error.message}`);
  return `${r.stdout}${r.stderr}`.trim();
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), grouped by stage. */
function stages(text) {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const out = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) out.push([line]);
    else out.at(-1)?.push(line);
  }
  return out;
}

describe('deploy/midge.service', () => {
  it('passes systemd-analyze verify with no finding', () => {
    expect(verify(join(deploy, 'midge.service'))).toBe('');
  });

  it('is verified for real: a broken unit gets findings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-unit-'));
    try {
      const bad = join(dir, 'midge.service');
      writeFileSync(
        bad,
        readFileSync(join(deploy, 'midge.service'), 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=bogus'),
      );
      expect(verify(bad)).toMatch(/protect system value/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs unprivileged, hardened, reloads with SIGHUP and keeps its state in /var/lib/midge', () => {
    const unit = readFileSync(join(deploy, 'midge.service'), 'utf8');
    for (const line of [
      'DynamicUser=yes',
      'StateDirectory=midge',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'Restart=on-failure',
    ])
      expect(unit.split('\n')).toContain(line);
    // V8 compiles code at run time: a unit forbidding writable+executable memory would kill Node.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(join(deploy, 'Dockerfile'), 'utf8');
  const all = stages(text);

  it('builds in one stage and runs in another, from pinned Node 20 images', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage[0]).toMatch(/^FROM node:20-[a-z0-9-]+ AS \w+$/i);
    expect(text).not.toMatch(/:latest\b/);
  });

  it('runs as a user that is not root, with a data volume, the MQTT port, a health check and the container config', () => {
    const runtime = all.at(-1) ?? [];
    const user = runtime.filter((l) => /^USER\s/i.test(l)).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/i);
    expect(runtime).toContain('VOLUME ["/var/lib/midge"]');
    expect(runtime).toContain('EXPOSE 1883');
    expect(runtime.some((l) => /^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck\.mjs"/.test(l))).toBe(true);
    expect(runtime.some((l) => l.startsWith('COPY') && l.includes('deploy/broker.yaml /etc/midge/broker.yaml'))).toBe(
      true,
    );
    expect(runtime.some((l) => /^ADD\s+https?:/i.test(l))).toBe(false);
  });
});

/** Docker's wildcards in .dockerignore (Go's filepath.Match, plus `**` for any number of folders). */
const wildcards = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' };

/** A .dockerignore pattern as a RegExp on paths relative to the build context. */
function dockerPattern(pattern) {
  const source = pattern
    .replace(/^\/+/, '')
    .split(/(\*\*\/|\*\*|\*|\?)/)
    .map((part) => wildcards[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
    .join('');
  return new RegExp(`^${source}$`);
}

describe('.dockerignore (the build context of deploy/Dockerfile)', () => {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  /** Whether Docker leaves `path` out of the context: a pattern matches it or one of its folders. */
  const ignored = (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    return patterns.some((p) => !p.startsWith('!') && prefixes.some((prefix) => dockerPattern(p).test(prefix)));
  };

  it('keeps the host installs, build output and the git repository out', () => {
    expect(patterns.filter((p) => p.startsWith('!'))).toEqual([]);
    for (const path of [
      '.git/HEAD',
      '.tools/node_modules/pnpm/package.json',
      'node_modules/.pnpm/lock.yaml',
      'packages/core/node_modules/valibot/package.json',
      'packages/core/dist/index.js',
      'apps/broker-cli/dist/main.js',
      'packages/core/tsconfig.build.tsbuildinfo',
      '.turbo/cache/x',
      'examples/external-plugin/.turbo/turbo-build.log',
    ])
      expect(ignored(path), path).toBe(true);
  });

  it('sends every tracked file, so the frozen install finds every workspace member', () => {
    const r = spawnSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ls-files failed in ${root}: ${r.stderr}`);
    const tracked = r.stdout.split('\n').filter(Boolean);
    expect(tracked).toContain('pnpm-lock.yaml');
    expect(tracked.filter(ignored)).toEqual([]);
  });
});

describe('deploy/healthcheck.mjs', () => {
  const check = (port) =>
    spawnSync(process.execPath, [join(deploy, 'healthcheck.mjs'), '127.0.0.1', String(port), '2000'], {
      encoding: 'utf8',
    });

  it('is healthy while a broker answers MQTT, and not once it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-health-'));
    const broker = spawn(process.execPath, [midge, '-p', '0', '--in-memory'], { cwd: dir });
    try {
      const port = await new Promise((resolve, reject) => {
        let out = '';
        broker.stdout.on('data', (d) => {
          out += d;
          const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
          if (line !== undefined) resolve(JSON.parse(line).port);
        });
        broker.once('exit', () => reject(new Error(`midge exited: ${out}`)));
      });
      const healthy = check(port);
      expect(healthy.status, healthy.stderr).toBe(0);
      broker.kill('SIGTERM');
      await new Promise((resolve) => broker.once('exit', resolve));
      const dead = check(port);
      expect(dead.status).toBe(1);
      expect(dead.stderr).toMatch(/unhealthy: 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    } finally {
      broker.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/broker.yaml', () => {
  it('passes midge --check (with its password file in place)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-deploy-config-'));
    try {
      const config = join(dir, 'broker.yaml');
      copyFileSync(join(deploy, 'broker.yaml'), config);
      writeFileSync(
        config,
        readFileSync(config, 'utf8')
          .replace('password_file: /etc/midge/passwords', `password_file: ${join(dir, 'passwords')}`)
          .replace('path: /var/lib/midge', `path: ${join(dir, 'data')}`),
      );
      const hashed = spawnSync(
        process.execPath,
        [midge, 'passwd', '-c', '-b', join(dir, 'passwords'), 'alice', 'secret'],
        {
          encoding: 'utf8',
        },
      );
      expect(hashed.status, hashed.stderr).toBe(0);
      const r = spawnSync(process.execPath, [midge, '-c', config, '--check'], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
