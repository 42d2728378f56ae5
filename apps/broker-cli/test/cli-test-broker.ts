/**
 * A fresh in-process test broker for each test, and `midge pub` / `midge sub` pointed at it: the set-up the
 * CLI's flag tests share.
 */
import { createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, beforeEach } from 'vitest';
import { runMidge, type Finished } from './cli-process.js';

export interface CliTestBroker {
  /** This test's broker. */
  readonly tb: TestBroker;
  /** Its port, as the CLI takes it. */
  readonly port: () => string;
  readonly pub: (...args: string[]) => Promise<Finished>;
  readonly sub: (...args: string[]) => Promise<Finished>;
  /** Closes this test's broker and starts another (on another port): returns the closed one's port, where nothing listens now. */
  readonly replace: () => Promise<string>;
}

/** Registers the beforeEach/afterEach that start and close the broker; call at a test file's top level. */
export function useCliTestBroker(): CliTestBroker {
  let current: TestBroker | undefined;
  const tb = (): TestBroker => {
    if (current === undefined) throw new Error('the test broker runs only inside a test');
    return current;
  };
  beforeEach(async () => {
    current = await createTestBroker();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get tb() {
      return tb();
    },
    port: () => String(tb().port),
    pub: (...args) => runMidge(['pub', '-p', String(tb().port), ...args]),
    sub: (...args) => runMidge(['sub', '-p', String(tb().port), ...args]),
    replace: async () => {
      const closed = String(tb().port);
      await tb().close();
      current = await createTestBroker();
      return closed;
    },
  };
}
