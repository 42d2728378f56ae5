/**
 * Two plugins in one package, named in YAML by subpath:
 *   plugins:
 *     '@midge/plugin-logging/event-logger':
 *     '@midge/plugin-logging/packet-logger':
 * The package root's default export is the event logger.
 */
export { eventLogger, summarise } from './event-logger.js';
export { packetLogger, describePacket } from './packet-logger.js';
export { REDACTED, redactedUsername, redactProperties } from './redact.js';
export { eventLogger as default } from './event-logger.js';
