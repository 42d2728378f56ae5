/** The NATS credentials the config names, read from the config or its files, as the client takes them. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nkeyAuthenticator, nkeys, usernamePasswordAuthenticator } from '@nats-io/transport-node';
import type { Authenticator } from '@nats-io/transport-node';
import type { PluginCheckProblem } from '@midge/mqtt-core';
import { messageOf } from './error-message.js';
import type { ClusterNatsConfig } from './config.js';

type CredentialOptions = Pick<ClusterNatsConfig, 'user' | 'password' | 'password_file' | 'nkey_seed_file'>;

/**
 * The authenticator for `config`, or undefined when it names no credentials. Files are read relative to
 * `configDir`; an unreadable, empty or malformed file fails with an Error naming its option and path.
 */
export async function loadAuthenticator(
  config: CredentialOptions,
  configDir: string,
): Promise<Authenticator | undefined> {
  if (config.nkey_seed_file !== undefined) {
    const path = resolve(configDir, config.nkey_seed_file);
    const seed = (await readSecret('nkey_seed_file', path)).trim();
    try {
      // Checks the seed now rather than at each connection attempt; the key pair is not kept.
      if (!seed.startsWith('SU')) throw new Error('it is not a user seed (those start with SU)');
      nkeys.fromSeed(new TextEncoder().encode(seed));
    } catch (err) {
      throw new Error(`nkey_seed_file ${path} holds no valid nkey user seed: ${messageOf(err)}`, { cause: err });
    }
    return nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (config.user === undefined) return undefined;
  let password = config.password;
  if (config.password_file !== undefined) {
    const path = resolve(configDir, config.password_file);
    // One trailing line break is the file's, not the password's (`echo secret > file`).
    password = (await readSecret('password_file', path)).replace(/\r?\n$/, '');
    if (password === '') throw new Error(`password_file ${path} is empty: write the NATS user's password in it`);
  }
  return usernamePasswordAuthenticator(config.user, password);
}

async function readSecret(option: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${option} ${path}: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * What `midge --check` reports about the credential files: the same reading start does (`loadAuthenticator`),
 * so a missing, unreadable, empty or malformed file fails the check instead of the start.
 */
export async function checkCredentials(config: CredentialOptions, configDir: string): Promise<PluginCheckProblem[]> {
  try {
    await loadAuthenticator(config, configDir);
    return [];
  } catch (err) {
    const option = config.nkey_seed_file !== undefined ? 'nkey_seed_file' : 'password_file';
    return [{ option, message: `${messageOf(err)} (the broker reads it at start: fix the path or the file)` }];
  }
}
