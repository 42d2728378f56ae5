/**
 * The SIGINT/SIGTERM/SIGHUP the broker acts on: the process's own, or, in a child supervised by
 * relaunch.ts, its own and the supervisor's relays, each request once.
 *
 * A signal sent to a process group or a cgroup (a terminal's Ctrl-C, systemd stopping the unit,
 * `pkill midge`) reaches both the supervisor, which relays it, and the child. Counted per source, the
 * n-th of either is the same request, so one Ctrl-C is one graceful stop, not a stop and then a
 * "second signal: exit now"; a signal sent to one of the two processes only is obeyed as well.
 */
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { RELAYED_SIGNALS, SUPERVISED_ENV, isSignalRelay, type RelayedSignal } from './relaunch.js';

type SignalListener = (signal: NodeJS.Signals) => void;

/** Where serve.ts subscribes to signals: `process`, or the supervised child's relay. */
export interface SignalSource {
  on(signal: RelayedSignal, listener: SignalListener): unknown;
  off(signal: RelayedSignal, listener: SignalListener): unknown;
}

/** Counts each signal from both sources; a request is new when either count passes what was acted on. */
export class SignalRequests {
  readonly #own = new Map<RelayedSignal, number>();
  readonly #relayed = new Map<RelayedSignal, number>();
  readonly #acted = new Map<RelayedSignal, number>();

  /** This process received `signal`: true if that is a new request. */
  own(signal: RelayedSignal): boolean {
    this.#own.set(signal, (this.#own.get(signal) ?? 0) + 1);
    return this.#settle(signal);
  }

  /** The supervisor relayed the `count`-th `signal` it received: true if that is a new request. */
  relayed(signal: RelayedSignal, count: number): boolean {
    this.#relayed.set(signal, Math.max(count, this.#relayed.get(signal) ?? 0));
    return this.#settle(signal);
  }

  #settle(signal: RelayedSignal): boolean {
    const wanted = Math.max(this.#own.get(signal) ?? 0, this.#relayed.get(signal) ?? 0);
    const acted = this.#acted.get(signal) ?? 0;
    if (wanted <= acted) return false;
    this.#acted.set(signal, acted + 1);
    return true;
  }
}

let source: SignalSource = process;

/** The signals to act on (serve.ts): `process` unless `obeyRelayedSignals` ran. */
export function obeyedSignals(): SignalSource {
  return source;
}

/**
 * In a child supervised by relaunch.ts (first thing, before any other module): takes the signals
 * from this process and from the supervisor's relays, each request once. Does nothing elsewhere.
 */
export function obeyRelayedSignals(): void {
  if (process.env[SUPERVISED_ENV] === undefined || process.send === undefined) return;
  // The broker's own child processes, if a plugin starts any, are not supervised by us.
  delete process.env[SUPERVISED_ENV];
  source = relayedSignals(process);
  // The channel must not keep a finished broker alive.
  process.channel?.unref();
}

/** What `relayedSignals` uses of the process (a fake in tests). */
export interface SupervisedProcess {
  on(event: RelayedSignal, listener: () => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'disconnect', listener: () => void): unknown;
  exit(code: number): void;
}

/** The signals of `proc` and the relays from its supervisor, as one request each. */
export function relayedSignals(proc: SupervisedProcess): SignalSource {
  const relay = new EventEmitter();
  const requests = new SignalRequests();
  const act = (signal: RelayedSignal): void => {
    if (relay.listenerCount(signal) > 0) {
      relay.emit(signal, signal);
      return;
    }
    // Nobody handles it yet (the broker is still loading its config): what the signal would do to a
    // process without a handler, end it.
    proc.exit(128 + constants.signals[signal]);
  };
  for (const signal of RELAYED_SIGNALS) {
    proc.on(signal, () => {
      if (requests.own(signal)) act(signal);
    });
  }
  proc.on('message', (message: unknown) => {
    if (isSignalRelay(message) && requests.relayed(message.midgeSignal, message.count)) act(message.midgeSignal);
  });
  // The supervisor is gone (killed with SIGKILL, say): nothing would relay a stop any more.
  proc.once('disconnect', () => act('SIGTERM'));
  return relay;
}
