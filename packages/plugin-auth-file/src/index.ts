/**
 * @midge/plugin-auth-file: checks usernames and passwords against a password file (aMQTT's
 * FileAuthPlugin, and Mosquitto's password_file format).
 *
 * Decisions: no username → abstain (another plugin decides about anonymous clients); known user with
 * the right password → allow; anything else → deny with "bad username or password".
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as v from 'valibot';
import { abstain, allow, definePlugin, deny } from '@midge/mqtt-core';
import type {
  AuthenticateRequest,
  BrokerApi,
  ClientInfo,
  Decision,
  DenyDecision,
  Logger,
  PluginCheckProblem,
  PluginHooks,
} from '@midge/mqtt-core';
import { hashPassword, parseHash, verifyPassword } from './hashes.js';
import type { PasswordHash } from './hashes.js';
import { parsePasswordFile } from './password-file.js';
import type { ParsedPasswordFile } from './password-file.js';

export {
  hashArgon2id,
  hashPassword,
  parseHash,
  sha512Crypt,
  verifyPassword,
  DEFAULT_ROUNDS,
  MAX_ROUNDS,
  MIN_ROUNDS,
} from './hashes.js';
export type { ParseHashResult, PasswordHash } from './hashes.js';
export { formatPasswordLine, parsePasswordFile, usernameProblem } from './password-file.js';
export type { ParsedPasswordFile, PasswordFileProblem } from './password-file.js';

export const configSchema = v.strictObject({
  /** The password file, relative to the config file's folder. */
  password_file: v.pipe(v.string(), v.minLength(1, 'password_file must not be empty')),
  /** On reload, disconnect the live connections of users no longer in the file (default true). */
  disconnect_removed_users: v.optional(v.boolean()),
});

export type FileAuthConfig = v.InferOutput<typeof configSchema>;

const REASON = 'bad username or password';
// 0x04 is the MQTT 3.1/3.1.1 CONNACK code; 5.0 spells it 0x86. Both are built once.
const BAD_V3 = deny(REASON, { reasonCode: 0x04 });
const BAD_V5 = deny(REASON, { reasonCode: 0x86 });

function bad(client: ClientInfo): DenyDecision {
  return client.protocolVersion === 5 ? BAD_V5 : BAD_V3;
}

/**
 * Checked for unknown usernames, so that "no such user" takes as long as "wrong password" and the
 * timing does not tell which usernames exist. Its password is random and thrown away.
 */
let dummyHash: Promise<PasswordHash> | undefined;
function getDummyHash(): Promise<PasswordHash> {
  dummyHash ??= hashPassword(randomBytes(12).toString('base64')).then((s) => {
    const parsed = parseHash(s);
    if (!parsed.ok) throw new Error(`internal: ${parsed.message}`);
    return parsed.hash;
  });
  return dummyHash;
}

/** `cannot read password_file <path>: <reason>: <what to do>`. */
function unreadableMessage(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = err instanceof Error ? err.message.replace(/, \w+ '.*'$/s, '') : String(err);
  const fix =
    code === 'ENOENT'
      ? `create it with 'midge passwd -c ${path} <username>', or fix password_file (a relative path starts at the config file's folder)`
      : code === 'EACCES' || code === 'EPERM'
        ? 'make it readable by the user the broker runs as'
        : code === 'EISDIR'
          ? 'set password_file to the password file, not a folder'
          : 'set password_file to a readable file';
  return `cannot read password_file ${path}: ${reason}: ${fix}`;
}

async function readPasswordText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(unreadableMessage(path, err), { cause: err });
  }
}

/** Reads and parses the file, logging each skipped line. Throws an error naming the path and the fix if unreadable. */
export async function loadPasswordFile(path: string, logger?: Logger): Promise<ParsedPasswordFile> {
  const parsed = parsePasswordFile(await readPasswordText(path));
  for (const p of parsed.problems) logger?.warn({ file: path, line: p.line }, `${path}:${p.line}: ${p.message}`);
  return parsed;
}

/** The decision for one CONNECT against a user table. */
export async function authenticateAgainst(
  users: ReadonlyMap<string, PasswordHash>,
  request: Pick<AuthenticateRequest, 'client' | 'password'>,
): Promise<Decision> {
  const { client, password } = request;
  if (client.username === undefined) return abstain;
  if (password === undefined) return bad(client);
  const hash = users.get(client.username);
  if (hash === undefined) {
    await verifyPassword(await getDummyHash(), password);
    return bad(client);
  }
  return (await verifyPassword(hash, password)) ? allow : bad(client);
}

/**
 * A user taken out of the file loses the connections they have: the file is the list of who may be
 * connected, not only of who may connect. Matched by username, whichever plugin authenticated them.
 */
function disconnectRemoved(
  broker: BrokerApi,
  logger: Logger,
  before: ReadonlyMap<string, PasswordHash>,
  after: ReadonlyMap<string, PasswordHash>,
): void {
  const removed = new Set<string>();
  for (const name of before.keys()) if (!after.has(name)) removed.add(name);
  if (removed.size === 0) return;
  const closed = broker.disconnectClients((c) => c.username !== undefined && removed.has(c.username), 'user removed');
  if (closed > 0)
    logger.info(
      { users: removed.size, connections: closed },
      `disconnected ${closed} connection(s) of users removed from the password file`,
    );
}

/**
 * What `midge --check` reports about the password file: unreadable is an error, and so is every line
 * setup would skip (its user could not log in), with the line number; a user listed twice and a file
 * without users are warnings, as at start.
 */
export async function checkPasswordFile(path: string): Promise<PluginCheckProblem[]> {
  let text: string;
  try {
    text = await readPasswordText(path);
  } catch (err) {
    return [{ option: 'password_file', message: err instanceof Error ? err.message : String(err) }];
  }
  const parsed = parsePasswordFile(text);
  const found: PluginCheckProblem[] = parsed.problems.map((p) =>
    p.skipped
      ? {
          option: 'password_file',
          message: `${path}:${p.line}: ${p.message}: the broker skips this line; fix it, or remove it and add the user again with 'midge passwd ${path} <username>'`,
        }
      : { option: 'password_file', message: `${path}:${p.line}: ${p.message}`, severity: 'warning' },
  );
  if (parsed.users.size === 0 && found.length === 0) {
    found.push({
      option: 'password_file',
      message: `${path} has no users: every client with a username will be refused; add one with 'midge passwd ${path} <username>'`,
      severity: 'warning',
    });
  }
  return found;
}

export default definePlugin({
  name: '@midge/plugin-auth-file',
  apiVersion: 1,
  configSchema,
  check: (ctx, config: FileAuthConfig) => checkPasswordFile(resolve(ctx.configDir, config.password_file)),
  async setup(ctx, config: FileAuthConfig): Promise<PluginHooks> {
    const path = resolve(ctx.configDir, config.password_file);
    let users = (await loadPasswordFile(path, ctx.logger)).users;
    if (users.size === 0) ctx.logger.warn(`${path} has no usable users: every client with a username will be denied`);
    else ctx.logger.debug(`${users.size} users loaded from ${path}`);
    // Reloads may overlap (SIGHUP twice); only the latest one started may install its result.
    let generation = 0;

    return {
      async authenticate(request) {
        try {
          return await authenticateAgainst(users, request);
        } catch (err) {
          // Not a wrong password (that is `false`): a broken hash or crypto failure. The password stays out of the log.
          ctx.logger.error({ err, username: request.client.username }, 'password check failed');
          return bad(request.client);
        }
      },
      async reload() {
        const mine = ++generation;
        try {
          const loaded = await loadPasswordFile(path, ctx.logger);
          if (mine !== generation) return;
          const before = users;
          users = loaded.users;
          ctx.logger.info(`reloaded ${users.size} users from ${path}`);
          if (config.disconnect_removed_users !== false) disconnectRemoved(ctx.broker, ctx.logger, before, users);
        } catch (err) {
          ctx.logger.error({ err }, `password file reload failed, keeping the ${users.size} users loaded before`);
        }
      },
    };
  },
});
