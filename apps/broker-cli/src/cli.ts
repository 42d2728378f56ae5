/** `midge <command>`: picks the command from argv[0] and runs it; `broker` when the first word is a flag. */
import { editDistance } from './args.js';
import { MAIN_HELP } from './help.js';
import type { CommandIO } from './io.js';
import { EXIT_OK, EXIT_USAGE, writeLine } from './report.js';
import { versionLine } from './version.js';

export type Command = (argv: string[], io: CommandIO) => Promise<number>;

/** Each command is imported only when run: a command loads only what it needs, and starts faster. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  broker: async () => (await import('./commands/broker.js')).runBroker,
  pub: async () => (await import('./commands/pub.js')).runPub,
  sub: async () => untilInterrupted((await import('./commands/sub.js')).runSub),
  passwd: async () => (await import('./commands/passwd.js')).runPasswd,
  store: async () => (await import('./commands/store.js')).runStore,
  ctl: async () => (await import('./commands/ctl.js')).runCtl,
};

export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(MAIN_HELP);
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    writeLine(io.stdout, versionLine());
    return EXIT_OK;
  }
  // `midge` and `midge -c file.yaml` run the broker.
  if (first === undefined || first.startsWith('-')) return (await COMMANDS.broker!())(argv, io);
  const load = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (load === undefined) {
    const names = Object.keys(COMMANDS);
    const close = names.find((n) => editDistance(first, n) <= 2);
    writeLine(
      io.stderr,
      `midge: unknown command '${first}'${close ? ` (did you mean '${close}'?)` : ''}; commands: ${names.join(', ')}; see 'midge --help'`,
    );
    return EXIT_USAGE;
  }
  return (await load())(rest, io);
}

/**
 * `sub` runs until interrupted: SIGINT/SIGTERM become its AbortSignal so it can disconnect cleanly and
 * exit 0, as scripts expect; a second signal exits at once. Only for the command that waits on it: a
 * process-wide listener would stop Ctrl-C from interrupting the other commands.
 */
function untilInterrupted(command: Command): Command {
  return async (argv, io) => {
    if (io.signal !== undefined) return command(argv, io);
    const controller = new AbortController();
    const onSignal = (): void => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      return await command(argv, { ...io, signal: controller.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  };
}
