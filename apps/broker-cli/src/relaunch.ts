/**
 * The broker runs in a Node started with `--max-semi-space-size=4` (young-generation.ts). V8 takes
 * that flag only at start, so a `midge` that runs the broker without it starts Node again with it.
 *
 * Why a relaunch and not `#!/usr/bin/env -S node --max-semi-space-size=4`: BusyBox's env (Alpine, so
 * the node:*-alpine images) and the BSDs' have no -S, and such a shebang makes `midge` fail to start
 * there at all; a flag on Node's command line would also beat a user's NODE_OPTIONS, where this way
 * NODE_OPTIONS=--max-semi-space-size=N still sizes it (then nothing is relaunched).
 *
 * Where Node has `process.execve` (22.15+, POSIX) the process replaces itself: same pid, signals,
 * stdio and exit code, nothing else to do. Elsewhere the first process supervises a child (stdio
 * inherited): it relays SIGINT, SIGTERM, SIGHUP and SIGUSR1 with a count, so that a signal sent to both (a
 * terminal's Ctrl-C, systemd's stop, pkill) is obeyed once (obeyed-signals.ts), and it ends as the
 * child ended: with its exit code, or killed by the same signal.
 *
 * Only `midge [broker]` is relaunched: pub, sub and passwd are short-lived and load no broker.
 * This module loads nothing but node: built-ins, so the supervising process stays small.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { nodeFlags, SEMI_SPACE_FLAG, youngGenerationFlags } from './young-generation.js';

/** Set in the supervised child's environment; it obeys the relayed signals (obeyed-signals.ts). */
export const SUPERVISED_ENV = 'MIDGE_SUPERVISED_BY';

/** The signals the broker acts on; the supervisor relays them. */
export const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const;
export type RelayedSignal = (typeof RELAYED_SIGNALS)[number];

/** What the supervisor sends the child: the `count`-th `signal` it received. */
export interface SignalRelay {
  readonly midgeSignal: RelayedSignal;
  readonly count: number;
}

export function isSignalRelay(message: unknown): message is SignalRelay {
  if (typeof message !== 'object' || message === null) return false;
  const { midgeSignal, count } = message as Partial<SignalRelay>;
  return (RELAYED_SIGNALS as readonly unknown[]).includes(midgeSignal) && typeof count === 'number';
}

/** How the relaunched broker ended. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Whether `argv` runs the broker: the same rule as cli.ts (`broker`, a flag first, or nothing). */
export function runsBroker(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined || first === 'broker') return true;
  return first.startsWith('-') && !['--help', '-h', '--version', '-V'].includes(first);
}

/**
 * The Node arguments that run `script` again with the young generation sized, or undefined when this
 * process needs no relaunch (not the broker, the user sized it, or it is the relaunched one), or must
 * not be relaunched: under --inspect the debugger is attached to this process, and a child would not
 * get the inspector's port.
 */
export function relaunchArgs(
  script: string,
  argv: readonly string[],
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] | undefined {
  if (!runsBroker(argv) || youngGenerationFlags(execArgv, nodeOptions).length > 0) return undefined;
  if (nodeFlags(execArgv, nodeOptions).some((f) => f.startsWith('--inspect'))) return undefined;
  return [...execArgv, SEMI_SPACE_FLAG, script, ...argv];
}

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * Relaunches this `midge` if it needs it (see `relaunchArgs`). Returns undefined when it does not;
 * otherwise replaces the process (never returns) or resolves with how the supervised child ended.
 */
export function relaunch(script: string, argv: readonly string[]): Promise<Ended> | undefined {
  const args = relaunchArgs(script, argv, process.execArgv, process.env['NODE_OPTIONS']);
  if (args === undefined) return undefined;
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve === 'function') execve(process.execPath, [process.execPath, ...args], process.env);
  return supervise(args);
}

function supervise(args: readonly string[]): Promise<Ended> {
  const child = spawn(process.execPath, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [SUPERVISED_ENV]: String(process.pid) },
  });
  const counts = new Map<RelayedSignal, number>();
  const relay = (signal: RelayedSignal): void => {
    const count = (counts.get(signal) ?? 0) + 1;
    counts.set(signal, count);
    // The child may be exiting already: then there is no one left to tell.
    if (child.connected) child.send({ midgeSignal: signal, count } satisfies SignalRelay, () => undefined);
  };
  for (const signal of RELAYED_SIGNALS) process.on(signal, relay);
  return new Promise((resolve) => {
    const done = (ended: Ended): void => {
      for (const signal of RELAYED_SIGNALS) process.off(signal, relay);
      resolve(ended);
    };
    child.once('error', (err) => {
      process.stderr.write(`midge: cannot start the broker process: ${err.message}\n`);
      done({ code: 1, signal: null });
    });
    child.once('exit', (code, signal) => done({ code, signal }));
  });
}

/** Ends this process as the child ended: the same exit code, or killed by the same signal. */
export function endAs(ended: Ended): never {
  if (ended.signal !== null) {
    // No handler is left for it (supervise removed them): the default action ends the process.
    process.kill(process.pid, ended.signal);
    // Still here (the signal is ignored, as under nohup): exit as a shell reports a signal death.
    process.exit(128 + (constants.signals[ended.signal] ?? 0));
  }
  process.exit(ended.code ?? 1);
}
