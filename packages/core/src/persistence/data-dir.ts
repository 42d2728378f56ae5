/**
 * Whether a data directory can be used, without creating it (`midge --check` changes nothing): an existing
 * folder must be writable; a missing one must be creatable, i.e. its nearest existing ancestor is a
 * writable folder.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { osReason } from '../config/listeners.js';

export type DataDirState =
  /** `empty`: missing, or a folder with nothing in it (a data directory made ready before the first start). */
  | { readonly usable: true; readonly exists: boolean; readonly empty: boolean }
  | { readonly usable: false; readonly problem: string };

function errnoOf(err: unknown): NodeJS.ErrnoException {
  return err as NodeJS.ErrnoException;
}

async function writable(dir: string): Promise<string | undefined> {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    return osReason(errnoOf(err));
  }
}

/** What `dir` (absolute) is as a data directory: usable (existing or creatable), or why not. */
export async function inspectDataDir(dir: string): Promise<DataDirState> {
  let missing = false;
  for (let at = dir; ; at = dirname(at)) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(at)).isDirectory();
    } catch (err) {
      const code = errnoOf(err).code;
      // ENOTDIR: a file further up; the walk reaches it and says so.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(at) !== at) {
        missing = true;
        continue;
      }
      return { usable: false, problem: `cannot use ${dir}: ${osReason(errnoOf(err))}` };
    }
    if (!isDirectory) {
      return {
        usable: false,
        problem:
          at === dir
            ? `${dir} is not a folder: point the data directory at a folder`
            : `cannot create ${dir}: ${at} is a file, not a folder`,
      };
    }
    const reason = await writable(at);
    if (reason !== undefined) {
      return {
        usable: false,
        problem: at === dir ? `${dir} is not writable: ${reason}` : `cannot create ${dir} in ${at}: ${reason}`,
      };
    }
    return { usable: true, exists: !missing, empty: missing || (await readdir(dir)).length === 0 };
  }
}
