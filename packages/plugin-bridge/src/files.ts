/**
 * What a bridge reads from files: passwords and TLS material, relative to the config file's folder.
 * Read once at setup (and by `midge --check`), so a missing file fails the start, not the first
 * reconnect an hour later.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PluginCheckProblem } from '@midge/mqtt-core';
import type { BridgeConfig } from './config.js';

export interface BridgeSecrets {
  readonly password: string | undefined;
  readonly localPassword: string | undefined;
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

type FileOption = 'password_file' | 'local_password_file' | 'ca' | 'cert' | 'key';

/** An unreadable or empty file, with the option that named it. */
export class BridgeFileError extends Error {
  constructor(
    readonly option: FileOption,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

async function read(option: FileOption, configDir: string, file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  const path = resolve(configDir, file);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new BridgeFileError(option, `cannot read ${option} ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (data.length === 0) throw new BridgeFileError(option, `${option} ${path} is empty`);
  return data;
}

/** One trailing line break is the file's, not the password's (`echo secret > file`). */
function passwordOf(data: Buffer | undefined): string | undefined {
  return data?.toString('utf8').replace(/\r?\n$/, '');
}

export async function loadSecrets(config: BridgeConfig, configDir: string): Promise<BridgeSecrets> {
  return {
    password: config.password ?? passwordOf(await read('password_file', configDir, config.password_file)),
    localPassword: passwordOf(await read('local_password_file', configDir, config.local_password_file)),
    ca: await read('ca', configDir, config.ca),
    cert: await read('cert', configDir, config.cert),
    key: await read('key', configDir, config.key),
  };
}

/** `midge --check`: every file of every bridge, read as setup reads them. */
export async function checkFiles(
  bridges: Readonly<Record<string, BridgeConfig>>,
  configDir: string,
): Promise<PluginCheckProblem[]> {
  const problems: PluginCheckProblem[] = [];
  for (const [name, config] of Object.entries(bridges)) {
    try {
      await loadSecrets(config, configDir);
    } catch (err) {
      if (!(err instanceof BridgeFileError)) throw err;
      problems.push({ option: ['bridges', name, err.option], message: err.message });
    }
  }
  return problems;
}
