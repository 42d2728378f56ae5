/** `midge passwd`: add, change or delete a user in a password file for @midge/plugin-auth-file. */
import { readFile } from 'node:fs/promises';
import { parseHash, usernameProblem } from '@midge/plugin-auth-file';
import { parseCommandArgs, UsageError } from '../args.js';
import { PASSWD_HELP } from '../help.js';
import type { CommandIO } from '../io.js';
import { deleteUser, hashPlainLines, setUserLine } from '../passwd/edit.js';
import { HASH_TYPES, isHashType, passwordLine, type HashType } from '../passwd/hash-types.js';
import { PromptCancelled, isTerminal, readFirstLine, readHidden } from '../passwd/prompt.js';
import { writePasswordFile } from '../passwd/write.js';
import { EXIT_FAILURE, EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';

const OPTIONS = {
  create: { type: 'boolean', short: 'c' },
  batch: { type: 'boolean', short: 'b' },
  delete: { type: 'boolean', short: 'D' },
  upgrade: { type: 'boolean', short: 'U' },
  'hash-type': { type: 'string', short: 'H' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** A failure to tell the user about (exit 1), as opposed to a usage mistake (exit 2). */
class PasswdError extends Error {}

export async function runPasswd(argv: string[], io: CommandIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs('passwd', argv, OPTIONS, true);
    if (values.help === true) {
      io.stdout.write(PASSWD_HELP);
      return EXIT_OK;
    }
    if (values.version === true) {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    const type = hashType(values['hash-type']);
    if (values.upgrade === true) return await upgrade(values, positionals, type, io);
    const create = values.create === true;
    const batch = values.batch === true;
    const del = values.delete === true;
    if (del && (create || batch)) throw new UsageError('-D cannot be combined with -c or -b');
    if (del && values['hash-type'] !== undefined)
      throw new UsageError('-H chooses how passwords are hashed: not with -D');
    const expected = batch ? 3 : 2;
    if (positionals.length !== expected) {
      throw new UsageError(
        batch
          ? `-b needs FILE USER PASSWORD, got ${positionals.length} argument(s)`
          : `needs FILE USER, got ${positionals.length} argument(s)`,
      );
    }
    const [file, user, given] = positionals as [string, string, string | undefined];
    const problem = usernameProblem(user);
    if (problem !== undefined) throw new UsageError(problem);

    const current = create ? '' : await readExisting(file);
    if (del) {
      const { text, removed } = deleteUser(current, user);
      if (removed === 0) throw new PasswdError(`user ${user} is not in ${file}`);
      await writePasswordFile(file, text);
      writeLine(io.stderr, `deleted user ${user} from ${file}`);
      return EXIT_OK;
    }
    const password = given ?? (await askPassword(io));
    if (password === '') throw new PasswdError('the password must not be empty');
    const { text, added } = setUserLine(current, user, await passwordLine(user, password, type));
    await writePasswordFile(file, text);
    writeLine(io.stderr, `${added ? 'added' : 'updated'} user ${user} in ${file}`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof PromptCancelled) return EXIT_FAILURE;
    return reportError(io.stderr, 'passwd', err);
  }
}

/** `-U FILE`: hashes the plain-text passwords of FILE in place, as mosquitto_passwd -U. */
async function upgrade(
  values: { create?: boolean; batch?: boolean; delete?: boolean },
  positionals: string[],
  type: HashType,
  io: CommandIO,
): Promise<number> {
  if (values.create === true || values.batch === true || values.delete === true)
    throw new UsageError('-U cannot be combined with -c, -b or -D');
  if (positionals.length !== 1) throw new UsageError(`-U needs FILE, got ${positionals.length} argument(s)`);
  const file = positionals[0] as string;
  const { text, hashed, alreadyHashed } = await hashPlainLines(
    await readExisting(file),
    (field) => field.startsWith('$') && parseHash(field).ok,
    (user, password) => passwordLine(user, password, type),
  );
  if (hashed > 0) await writePasswordFile(file, text);
  const kept = alreadyHashed > 0 ? `; ${alreadyHashed} already hashed, left as they were` : '';
  writeLine(io.stderr, `hashed ${hashed} password(s) in ${file}${kept}`);
  return EXIT_OK;
}

/** `-H TYPE`, mosquitto_passwd's flag; `sha512-crypt` when not given. */
function hashType(name: string | undefined): HashType {
  if (name === undefined) return 'sha512-crypt';
  if (!isHashType(name)) throw new UsageError(`-H must be one of ${HASH_TYPES.join(', ')}, got '${name}'`);
  return name;
}

async function readExisting(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PasswdError(`${file} does not exist; use -c to create it`);
    throw new PasswdError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Twice with echo off on a terminal (a typo would lock the user out), else one line of stdin. */
async function askPassword(io: CommandIO): Promise<string> {
  if (!isTerminal(io.stdin)) return readFirstLine(io.stdin);
  const first = await readHidden(io.stdin, io.stderr, 'Password: ');
  const second = await readHidden(io.stdin, io.stderr, 'Reenter password: ');
  if (first !== second) throw new PasswdError('the passwords do not match; nothing was changed');
  return first;
}
