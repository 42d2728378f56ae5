/** A real broker that loads this package by its name, as a YAML config would (closed after each test). */
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { pluginTestHarness } from '@midge/mqtt-core/testing';

const harness = pluginTestHarness(fileURLToPath(new URL('..', import.meta.url)));
afterEach(() => harness.close());

export const { startBroker, connectClient, connected, subscribe } = harness;
