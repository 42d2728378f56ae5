/** `midge store inspect|compact`: look into a broker's store, or shrink its file (as mosquitto_db_dump does for Mosquitto). */
import { validateTopicFilter } from '@midge/mqtt-core';
import { editDistance, parseCommandArgs, UsageError } from '../args.js';
import { STORE_HELP } from '../help.js';
import type { CommandIO } from '../io.js';
import { EXIT_FAILURE, EXIT_OK, reportError, writeLine } from '../report.js';
import { compactStore, describeCompaction } from '../store/compact.js';
import { reportJson, sessionDetailJson } from '../store/json.js';
import { selectStore, type StoreFlags } from '../store/open.js';
import { sessionDetail, storeReport } from '../store/report.js';
import { reportText, sessionText } from '../store/text.js';
import { versionLine } from '../version.js';

/** How many of a session's queued messages `--client` lists (the oldest). */
export const QUEUED_SHOWN = 20;

const SUBCOMMANDS = ['inspect', 'compact'] as const;

const STORE_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

const INSPECT_OPTIONS = {
  ...STORE_OPTIONS,
  json: { type: 'boolean' },
  client: { type: 'string' },
  retained: { type: 'string' },
} as const;

export async function runStore(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout.write(STORE_HELP);
      return EXIT_OK;
    }
    if (sub === '--version' || sub === '-V') {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    if (sub === 'inspect') return await runInspect(rest, io);
    if (sub === 'compact') return await runCompact(rest, io);
    if (sub === undefined) throw new UsageError(`needs a subcommand: ${SUBCOMMANDS.join(' or ')}`);
    const close = SUBCOMMANDS.find((n) => editDistance(sub, n) <= 2);
    throw new UsageError(
      `unknown subcommand '${sub}'${close ? ` (did you mean '${close}'?)` : ''}; subcommands: ${SUBCOMMANDS.join(', ')}`,
    );
  } catch (err) {
    return reportError(io.stderr, 'store', err);
  }
}

async function runInspect(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs('store', argv, INSPECT_OPTIONS);
  if (values.help === true) return help(io);
  if (values.version === true) return version(io);
  const client = values.client;
  const filter = values.retained;
  if (client !== undefined && filter !== undefined)
    throw new UsageError('--client shows one session, --retained the retained messages: give one of them');
  if (filter !== undefined) {
    const problem = validateTopicFilter(filter, { maxLength: 0, maxLevels: 0 });
    if (problem !== undefined) throw new UsageError(`--retained ${filter}: ${problem}`);
  }
  const selected = await selectStore(storeFlags(values));
  const store = await selected.open(true);
  try {
    const now = Date.now();
    if (client !== undefined) {
      const detail = await sessionDetail(store, client, QUEUED_SHOWN);
      if (detail === undefined) {
        writeLine(io.stderr, `midge store: no session of client id '${client}' in ${selected.where.path}`);
        return EXIT_FAILURE;
      }
      io.stdout.write(
        values.json === true ? sessionDetailJson(selected.where, detail) : sessionText(selected.where, detail, now),
      );
      return EXIT_OK;
    }
    const report = await storeReport(store, filter);
    io.stdout.write(
      values.json === true ? reportJson(selected.where, report) : reportText(selected.where, report, now, filter),
    );
    return EXIT_OK;
  } finally {
    await store.close();
  }
}

async function runCompact(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs('store', argv, STORE_OPTIONS);
  if (values.help === true) return help(io);
  if (values.version === true) return version(io);
  const selected = await selectStore(storeFlags(values));
  const { before, after } = await compactStore(selected);
  writeLine(io.stdout, `compacted the store in ${selected.where.path}: ${describeCompaction(before, after)}`);
  return EXIT_OK;
}

function storeFlags(values: { config?: string; 'data-dir'?: string }): StoreFlags {
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UsageError('--data-dir must not be empty');
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
  };
}

function help(io: CommandIO): number {
  io.stdout.write(STORE_HELP);
  return EXIT_OK;
}

function version(io: CommandIO): number {
  writeLine(io.stdout, versionLine());
  return EXIT_OK;
}
