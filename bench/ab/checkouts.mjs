// The two checkouts an A/B script compares, from its command line:
//   node bench/ab/<script>.mjs BASELINE_CHECKOUT [CANDIDATE_CHECKOUT] [--rounds=N]
// Both built (`pnpm --filter @midge/mqtt-core run build`); the candidate defaults to this checkout.
// e.g. git worktree add /tmp/base <commit> && (cd /tmp/base && pnpm install && pnpm run build)
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (positional.length === 0) {
  console.error('usage: node bench/ab/<script>.mjs BASELINE_CHECKOUT [CANDIDATE_CHECKOUT] [--rounds=N]');
  process.exit(2);
}
const here = resolve(fileURLToPath(import.meta.url), '../../..');
/** file: URLs of the two checkouts' roots (import `${BASE}/packages/core/dist/...`). */
export const BASE = pathToFileURL(resolve(positional[0])).href;
export const CAND = pathToFileURL(resolve(positional[1] ?? here)).href;
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
/** Alternating rounds per case (default 15). */
export const ROUNDS = roundsArg === undefined ? 15 : Number(roundsArg.slice('--rounds='.length));
