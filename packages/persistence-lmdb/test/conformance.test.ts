import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { persistenceConformanceSuite } from '@midge/mqtt-core/testing';
import { LmdbPersistence } from '../src/index.js';

for (const sync of ['batch', 'always', 'none'] as const) {
  let dir = '';
  persistenceConformanceSuite(
    `LmdbPersistence (sync: ${sync})`,
    () => {
      dir = mkdtempSync(join(tmpdir(), `midge-lmdb-${sync}-`));
      return Promise.resolve(new LmdbPersistence({ path: dir, sync }));
    },
    { describe, it, expect },
    { reopen: () => Promise.resolve(new LmdbPersistence({ path: dir, sync })) },
  );
}
