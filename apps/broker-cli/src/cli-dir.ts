import { fileURLToPath } from 'node:url';

/**
 * The CLI's own folder (dist/ when built). Plugin packages are resolved from here after the config
 * file's folder: the CLI depends on every first-party plugin, so the default config always resolves.
 */
export const CLI_DIR = fileURLToPath(new URL('.', import.meta.url));
