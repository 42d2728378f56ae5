/** Writing a password file safely: never half-written, never readable by others when new. */
import { chmod, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of a password file midge creates: it holds password hashes, so only the owner reads it. */
export const NEW_FILE_MODE = 0o600;

/**
 * Replaces `path` with `text` atomically (temp file in the same folder, then rename), so a crash or a
 * broker reading on SIGHUP never sees a partial file. An existing file keeps its mode; a new one gets 0600.
 */
export async function writePasswordFile(path: string, text: string): Promise<void> {
  // Through a symlink, the file it points to is the one to replace.
  const target = await realpath(path).catch(() => path);
  const existing = await stat(target).catch(() => undefined);
  const mode = existing === undefined ? NEW_FILE_MODE : existing.mode & 0o7777;
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const handle = await open(tmp, 'wx', NEW_FILE_MODE);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    // Set after creation: the umask may have narrowed it, and an existing file's mode may be wider.
    await chmod(tmp, mode);
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
