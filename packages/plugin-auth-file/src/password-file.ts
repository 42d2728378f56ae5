/**
 * The password file: one `username:hash` per line, `#` comments and blank lines ignored. The line is
 * split at the first `:` (hashes never contain one; usernames cannot either).
 */
import { hashPassword, parseHash } from './hashes.js';
import type { PasswordHash } from './hashes.js';

export interface PasswordFileProblem {
  /** 1-based. */
  readonly line: number;
  readonly message: string;
  /** True when the line was left out (its user cannot log in with it); false when it was used (a duplicate). */
  readonly skipped: boolean;
}

export interface ParsedPasswordFile {
  readonly users: Map<string, PasswordHash>;
  /** Lines that were skipped (or replaced an earlier one), for warnings. */
  readonly problems: PasswordFileProblem[];
}

/**
 * Parses a password file's text. Bad lines are reported in `problems` and skipped, so one typo does
 * not lock every user out. A user listed twice keeps the later line, as in aMQTT. Messages never
 * quote a line's hash field (it may be a plain-text password).
 */
export function parsePasswordFile(text: string): ParsedPasswordFile {
  const users = new Map<string, PasswordHash>();
  const problems: PasswordFileProblem[] = [];
  const seenOn = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) {
      problems.push({ line: lineNo, message: 'no `:` between username and hash', skipped: true });
      continue;
    }
    if (colon === 0) {
      problems.push({ line: lineNo, message: 'empty username', skipped: true });
      continue;
    }
    const username = line.slice(0, colon);
    const parsed = parseHash(line.slice(colon + 1));
    if (!parsed.ok) {
      problems.push({ line: lineNo, message: `user ${username}: ${parsed.message}`, skipped: true });
      continue;
    }
    const earlier = seenOn.get(username);
    if (earlier !== undefined) {
      problems.push({
        line: lineNo,
        message: `user ${username} is also on line ${earlier}: this line replaces it`,
        skipped: false,
      });
    }
    seenOn.set(username, lineNo);
    users.set(username, parsed.hash);
  }
  return { users, problems };
}

/**
 * Why `username` cannot be written to a password file, or undefined if it can: it must be non-empty,
 * without `:` or line breaks, without surrounding spaces (lines are trimmed) and not start with `#`.
 */
export function usernameProblem(username: string): string | undefined {
  if (username === '') return 'the username must not be empty';
  if (username.includes(':')) return 'the username must not contain ":"';
  if (/[\r\n]/.test(username)) return 'the username must not contain a line break';
  if (username.trim() !== username) return 'the username must not start or end with white space';
  if (username.startsWith('#')) return 'the username must not start with "#" (it would be a comment)';
  return undefined;
}

/**
 * A password file line `username:$6$salt$hash` (SHA-512 crypt, random 16-character salt), as written
 * by `midge passwd`.
 * @throws TypeError when the username cannot be stored in a password file.
 */
export async function formatPasswordLine(
  username: string,
  password: string | Buffer,
  options: { rounds?: number } = {},
): Promise<string> {
  const problem = usernameProblem(username);
  if (problem !== undefined) throw new TypeError(problem);
  return `${username}:${await hashPassword(password, options)}`;
}
