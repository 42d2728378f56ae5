/** Test helpers for brokers, plugins and persistence stores (the package's "./testing" export). */
export { RawClient } from './raw-client.js';
export { persistenceConformanceSuite } from '../persistence/conformance.js';
export type { ConformanceAssertion, ConformanceOptions, ConformanceTestApi } from '../persistence/conformance.js';

export { createTestBroker } from './test-broker.js';
export type { TestBroker } from './test-broker.js';
export {
  authenticateRequest,
  fakePluginContext,
  issuePaths,
  logText,
  recordingLogger,
  setupPlugin,
  testClientInfo,
  validatePluginConfig,
} from './plugin-context.js';
export type { LogRecord, RecordingLogger } from './plugin-context.js';
export { pluginTestHarness } from './plugin-harness.js';
export type { PluginTestHarness } from './plugin-harness.js';
