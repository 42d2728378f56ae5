/** The `tls.ca` file: read at setup, and checked by `midge --check` without starting anything. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PluginCheckProblem } from '@midge/mqtt-core';

function unreadable(full: string, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `cannot read tls.ca ${full}: ${reason}: set tls.ca to a readable PEM file (a relative path starts at the config file's folder)`;
}

/** The PEM text, or undefined without `tls.ca`. Throws naming the file when it cannot be read. */
export async function readCa(configDir: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  const full = resolve(configDir, path);
  try {
    return await readFile(full, 'utf8');
  } catch (err) {
    throw new Error(unreadable(full, err), { cause: err });
  }
}

/** What `midge --check` reports: an unreadable file, or one without a PEM certificate in it. */
export async function checkCa(configDir: string, path: string | undefined): Promise<PluginCheckProblem[]> {
  if (path === undefined) return [];
  const full = resolve(configDir, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    return [{ option: ['tls', 'ca'], message: unreadable(full, err) }];
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    return [{ option: ['tls', 'ca'], message: `${full} has no PEM certificate (-----BEGIN CERTIFICATE-----)` }];
  return [];
}
