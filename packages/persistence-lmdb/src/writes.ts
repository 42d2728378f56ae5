import type { PersistenceOptions } from '@midge/mqtt-core';
import type { Database, Key, RootDatabase } from 'lmdb';

/**
 * The store's writes and what their promises mean, per `sync` mode:
 *
 * - `batch` and `none`: lmdb-js's asynchronous writes. Every write issued in one event-loop turn goes into one
 *   transaction (lmdb-js's event-turn batching), committed on its write thread; the promise resolves once that
 *   transaction is committed — with `batch` that commit includes LMDB's fsync of the data file (no
 *   `overlappingSync`: the promise means "on disk", not "on disk soon"), with `none` (`noSync`) it is in the
 *   OS's page cache. `strictAsyncOrder` keeps single writes and transaction callbacks in the order issued.
 * - `always`: each write is its own synchronous transaction, fsync'd before the call returns.
 *
 * A failed commit (disk full, I/O error) rejects the promise of every write in it with an Error naming the
 * directory and the cause; nothing of that transaction is stored, and the next transaction is tried afresh.
 */
export class Writes {
  readonly #root: RootDatabase;
  readonly #path: string;
  readonly #sync: PersistenceOptions['sync'];
  /** The last asynchronous write's commit: reads wait for it, so they see every write issued before them. */
  #lastCommit: Promise<unknown> | undefined;
  /** The last write's commit promise from lmdb-js, and the promise this class made of it. */
  #lastIssued: Promise<unknown> | undefined;
  #lastWrite: Promise<void> | undefined;
  #guardQueued = false;
  /** Transactions issued and committed so far (asynchronous modes), numbered in issue order: see `issuedTurn`. */
  #issuedTurn = 0;
  #committedTurn = 0;
  readonly #failureListeners: ((turn: number | undefined) => void)[] = [];
  #failures = 0;

  constructor(root: RootDatabase, path: string, sync: PersistenceOptions['sync']) {
    this.#root = root;
    this.#path = path;
    this.#sync = sync;
  }

  put(db: Database, key: Key, value: unknown): Promise<void> {
    try {
      if (this.#sync !== 'always') return this.#issued(db.put(key, value));
      db.putSync(key, value);
      return DONE;
    } catch (err) {
      this.#failed(undefined);
      return Promise.reject(this.#failure(err));
    }
  }

  remove(db: Database, key: Key): Promise<void> {
    try {
      if (this.#sync !== 'always') return this.#issued(db.remove(key));
      db.removeSync(key);
      return DONE;
    } catch (err) {
      this.#failed(undefined);
      return Promise.reject(this.#failure(err));
    }
  }

  /** Runs `body` inside the write transaction, in issue order with the other writes (it may read what they wrote). */
  transaction(body: () => void): Promise<void> {
    try {
      if (this.#sync !== 'always') return this.#issued(this.#root.transaction(body));
      this.#root.transactionSync(body);
      return DONE;
    } catch (err) {
      this.#failed(undefined);
      return Promise.reject(this.#failure(err));
    }
  }

  /** A write refused before it was issued: its record could not be encoded (`cause` says why). Nothing is stored. */
  refused(cause: unknown): Promise<never> {
    const message = cause instanceof Error ? cause.message : String(cause);
    return Promise.reject(
      new Error(`the store in ${this.#path} cannot store this record: ${message}; nothing of it was stored`, {
        cause,
      }),
    );
  }

  /**
   * The number of the transaction the last write went into, and of the last one committed: transactions
   * commit in issue order, so a write issued in turn `n` is stored once `committedTurn >= n` (with `always`,
   * where every write is committed before its call returns, both stay 0). A failed transaction does not
   * advance `committedTurn`; `onFailure` listeners hear of it before any later transaction's commit.
   */
  get issuedTurn(): number {
    return this.#issuedTurn;
  }

  get committedTurn(): number {
    return this.#committedTurn;
  }

  /**
   * Calls `listener` whenever a write failed: with the number of its transaction, or `undefined` for a write
   * that failed when issued (with `always`, or refused by lmdb-js at once), before its call returned.
   */
  onFailure(listener: (turn: number | undefined) => void): void {
    this.#failureListeners.push(listener);
  }

  /** Writes failed so far: a caller compares it before and after issuing writes to see a synchronous failure. */
  get failures(): number {
    return this.#failures;
  }

  /** Resolves once every write issued so far is committed (or failed): what a read waits for. */
  settled(): Promise<unknown> | undefined {
    return this.#lastCommit;
  }

  /** The promise of an asynchronous write, from lmdb-js's promise of its commit. */
  #issued(committed: Promise<unknown>): Promise<void> {
    // lmdb-js gives every unconditional write of one transaction the same commit promise: the writes of a turn
    // then share one promise of ours too, and its handlers are attached once per transaction, not per write.
    if (committed === this.#lastIssued && this.#lastWrite !== undefined) return this.#lastWrite;
    this.#guardTurn();
    const turn = ++this.#issuedTurn;
    const write = committed.then(
      () => {
        if (turn > this.#committedTurn) this.#committedTurn = turn;
      },
      (err: unknown) => {
        this.#failed(turn);
        return this.#rejectWithCause(err);
      },
    );
    const settled = write.then(noop, noop);
    this.#lastIssued = committed;
    this.#lastWrite = write;
    this.#lastCommit = settled;
    void settled.then(() => {
      if (this.#lastCommit === settled) this.#lastCommit = undefined;
      if (this.#lastWrite === write) this.#lastIssued = this.#lastWrite = undefined;
    });
    return write;
  }

  /**
   * lmdb-js also opens a promise of its own for each event-turn batch, which nobody awaits: when the commit
   * fails it would reject unhandled and end the process (Node's default). Once the turn's batch has started
   * (lmdb-js starts it in a setImmediate queued by the turn's first write, before this one), `committed` is
   * that promise: handling it here keeps a disk-full from killing the broker.
   */
  #guardTurn(): void {
    if (this.#guardQueued) return;
    this.#guardQueued = true;
    setImmediate(() => {
      this.#guardQueued = false;
      void Promise.resolve(this.#root.committed).then(noop, noop);
    });
  }

  /** lmdb-js rejects with "Commit failed" and the cause in a promise of its own (`commitError`). */
  async #rejectWithCause(err: unknown): Promise<never> {
    const commitError = (err as { commitError?: Promise<unknown> } | undefined)?.commitError;
    if (commitError === undefined) throw this.#failure(err);
    let cause: unknown = err;
    try {
      await commitError;
    } catch (real) {
      cause = real;
    }
    throw this.#failure(cause);
  }

  #failed(turn: number | undefined): void {
    this.#failures++;
    for (const listener of this.#failureListeners) listener(turn);
  }

  #failure(cause: unknown): Error {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new Error(
      `writing to the store in ${this.#path} failed: ${message}. Nothing of that write was stored; free disk space (or fix the I/O error): the store takes writes again as soon as they succeed`,
      { cause },
    );
  }
}

const DONE = Promise.resolve();

function noop(): void {}
