/**
 * Imported first by main.ts, so it runs before any other module is loaded: the young generation is
 * still at its initial size then, and start-up cannot grow it past the cap (see capYoungGeneration).
 * The `midge` process belongs to the broker (or a short-lived client command), so changing this
 * process-wide V8 setting is ours to do. NODE_OPTIONS=--max-semi-space-size=N overrides it.
 */
import { capYoungGeneration } from '@midge/mqtt-core/runtime';

export const youngGeneration = capYoungGeneration();
