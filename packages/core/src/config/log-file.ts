import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BrokerConfig, ConfigIssue } from './types.js';

/**
 * Whether the broker could open `log.file` for appending, checked without creating or writing anything
 * (`--check` and a reload write nothing): an existing file must be a regular file the broker can write; a new
 * one needs a folder that exists and that the broker can write into. Start would otherwise fail on it.
 */
export async function checkLogFile(config: Pick<BrokerConfig, 'log'>): Promise<ConfigIssue[]> {
  const file = config.log?.file;
  if (file === undefined) return [];
  const problem = await logFileProblem(file);
  return problem === undefined ? [] : [{ path: 'log.file', message: problem }];
}

async function logFileProblem(file: string): Promise<string | undefined> {
  const existing = await stat(file).catch((err: NodeJS.ErrnoException) => err);
  if (!(existing instanceof Error)) {
    if (!existing.isFile()) return `${file} is not a regular file; name a file for the log, not a folder`;
    return (await writable(file))
      ? undefined
      : `cannot write to the log file ${file} (permission denied); give the broker's user write access to it`;
  }
  if (existing.code !== 'ENOENT') return `cannot read the log file ${file}: ${existing.message}`;
  const folder = dirname(file);
  const parent = await stat(folder).catch((err: NodeJS.ErrnoException) => err);
  if (parent instanceof Error)
    return parent.code === 'ENOENT'
      ? `the folder of the log file does not exist: ${folder}; create it (the broker creates the file, not its folder)`
      : `cannot read the folder of the log file ${folder}: ${parent.message}`;
  if (!parent.isDirectory()) return `the folder of the log file is not a folder: ${folder}`;
  return (await writable(folder, constants.W_OK | constants.X_OK))
    ? undefined
    : `cannot create the log file ${file}: the broker's user cannot write into ${folder}; give it write access or choose another folder`;
}

async function writable(path: string, mode: number = constants.W_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}
