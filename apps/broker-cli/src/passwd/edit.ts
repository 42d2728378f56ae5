/**
 * Editing a password file's text: one user's line is replaced, added or removed; every other line
 * (other users, comments, blank lines, even lines the plugin would skip) stays byte for byte.
 */

/** The username a line defines, as plugin-auth-file reads it (trimmed, split at the first ':'), if any. */
function userOf(line: string): string | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const colon = t.indexOf(':');
  return colon > 0 ? t.slice(0, colon) : undefined;
}

function split(text: string): { lines: string[]; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  // The empty string after a final line break is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { lines, eol };
}

function join(lines: readonly string[], eol: string): string {
  return lines.length === 0 ? '' : lines.join(eol) + eol;
}

/**
 * Sets `user`'s line: the first line of that user is replaced in place, later ones (which would
 * override it) are removed; a new user is appended.
 */
export function setUserLine(text: string, user: string, newLine: string): { text: string; added: boolean } {
  const { lines, eol } = split(text);
  const out: string[] = [];
  let found = false;
  for (const line of lines) {
    if (userOf(line) !== user) out.push(line);
    else if (!found) {
      out.push(newLine);
      found = true;
    }
  }
  if (!found) out.push(newLine);
  return { text: join(out, eol), added: !found };
}

/** Removes every line of `user`; `removed` counts them (0 = no such user). */
export function deleteUser(text: string, user: string): { text: string; removed: number } {
  const { lines, eol } = split(text);
  const out = lines.filter((line) => userOf(line) !== user);
  return { text: join(out, eol), removed: lines.length - out.length };
}

/** What `hashPlainLines` did. */
export interface HashedFile {
  readonly text: string;
  /** Users whose plain-text password was replaced by its hash. */
  readonly hashed: number;
  /** Users whose line held a hash already: left as they were (hashing a hash would lock them out). */
  readonly alreadyHashed: number;
}

/**
 * `midge passwd -U`: every `user:password` line whose password is plain text gets `hash(user, password)`
 * (a whole line) instead; lines holding a hash already, comments and blank lines stay byte for byte.
 */
export async function hashPlainLines(
  text: string,
  isHash: (field: string) => boolean,
  hash: (user: string, password: string) => Promise<string>,
): Promise<HashedFile> {
  const { lines, eol } = split(text);
  const out: string[] = [];
  let hashed = 0;
  let alreadyHashed = 0;
  for (const line of lines) {
    const user = userOf(line);
    if (user === undefined) {
      out.push(line);
      continue;
    }
    const t = line.trim();
    const password = t.slice(t.indexOf(':') + 1);
    if (isHash(password)) {
      alreadyHashed++;
      out.push(line);
      continue;
    }
    out.push(await hash(user, password));
    hashed++;
  }
  return { text: join(out, eol), hashed, alreadyHashed };
}
