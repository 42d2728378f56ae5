/**
 * Where verification keys come from: a JWKS file, a JWKS URL, or an HMAC secret file. Each source is
 * one `KeySource` so the verifier does not care which one is configured.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { Logger } from '@midge/mqtt-core';
import type { JwtAuthConfig } from './config.js';

export interface KeySource {
  /** What jose's `jwtVerify` takes: a key, or a function picking one by the token's header. */
  readonly key: Uint8Array | JWTVerifyGetKey;
  /** Read the file again (jwks_file, secret_file) or fetch the set again (jwks_url). Throws on failure. */
  reload(): Promise<void>;
  /** Stops background refreshes. */
  close(): void;
}

/** `cannot read <option> <path>: <reason>`; thrown at start (the broker does not start) and logged on reload. */
async function readOption(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot read ${option} ${path}: ${reason}`, { cause: err });
  }
}

export function parseJwks(text: string, where: string): JSONWebKeySet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null)) {
    throw new Error(`${where} is not a JWKS: expected {"keys": [ ...JWK objects ]}`);
  }
  return json as JSONWebKeySet;
}

/** The secret is the file's bytes; one trailing newline (left by editors and `echo`) is not part of it. */
export function secretFromFile(bytes: Buffer): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  return new Uint8Array(bytes.subarray(0, end));
}

/**
 * A JWKS file: loaded at start (a broken file stops the broker) and on reload (a broken file keeps the
 * keys loaded before: the caller logs the error).
 */
async function fileSource(path: string): Promise<KeySource> {
  const load = async () => createLocalJWKSet(parseJwks((await readOption('jwks_file', path)).toString('utf8'), path));
  let current = await load();
  return {
    key: (header, token) => current(header, token),
    async reload() {
      current = await load();
    },
    close() {},
  };
}

/** A short HMAC secret can be brute-forced offline from any token it signed. */
const MIN_SECRET_BYTES = 32;

async function loadSecret(path: string): Promise<Uint8Array> {
  const secret = secretFromFile(await readOption('secret_file', path));
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(
      `secret_file ${path}: the secret must be at least ${MIN_SECRET_BYTES} bytes, it has ${secret.length}`,
    );
  }
  return secret;
}

/** The secret file: read at start and on reload, like a JWKS file (a failed reload keeps the secret). */
async function secretSource(path: string): Promise<KeySource> {
  let secret = await loadSecret(path);
  return {
    get key() {
      return secret;
    },
    async reload() {
      secret = await loadSecret(path);
    },
    close() {},
  };
}

export interface RemoteOptions {
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly refreshMs: number;
}

/**
 * A JWKS URL through jose's remote set, with one change of policy: its own cache age is infinite and this
 * source refreshes the set on a timer instead. jose would otherwise fetch again on the first token after
 * the cache aged, and fail that token when the server is down; here the keys fetched last keep verifying
 * while the server is unreachable (the timer keeps trying). A token whose `kid` is not cached makes jose
 * fetch at once (at most once per cooldown), and is refused when that fetch fails: fail closed.
 */
function remoteSource(url: URL, opts: RemoteOptions, logger: Logger): KeySource {
  const set = createRemoteJWKSet(url, {
    timeoutDuration: opts.timeoutMs,
    cooldownDuration: opts.cooldownMs,
    cacheMaxAge: Infinity,
  });
  const refresh = (why: string) =>
    set.reload().then(
      () => logger.debug({ url: url.href }, `JWKS fetched (${why})`),
      (err: unknown) =>
        logger.warn(
          { err, url: url.href },
          `cannot fetch the JWKS (${why}): keys fetched before keep working, tokens with an unknown kid are refused`,
        ),
    );
  // The first fetch starts now so the first client does not wait for it; the broker starts either way.
  void refresh('start');
  const timer = opts.refreshMs > 0 ? setInterval(() => void refresh('refresh'), opts.refreshMs) : undefined;
  timer?.unref();
  return {
    key: set,
    reload: () => set.reload(),
    close: () => clearInterval(timer),
  };
}

/** The key source the config names (exactly one, config.ts checks). Paths are relative to `configDir`. */
export async function createKeySource(config: JwtAuthConfig, configDir: string, logger: Logger): Promise<KeySource> {
  if (config.jwks_file !== undefined) return fileSource(resolve(configDir, config.jwks_file));
  if (config.secret_file !== undefined) return secretSource(resolve(configDir, config.secret_file));
  if (config.jwks_url !== undefined) {
    return remoteSource(
      new URL(config.jwks_url),
      {
        timeoutMs: Math.round((config.jwks_timeout_s ?? 5) * 1000),
        cooldownMs: Math.round((config.jwks_cooldown_s ?? 30) * 1000),
        refreshMs: Math.round((config.jwks_refresh_s ?? 600) * 1000),
      },
      logger,
    );
  }
  throw new Error('set exactly one of jwks_file, jwks_url or secret_file');
}
