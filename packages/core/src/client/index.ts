/** `@midge/mqtt-core/client`: an MQTT 3.1 / 3.1.1 / 5.0 client for programs and the `midge pub/sub` CLI. */
export { MqttClient, connect } from './client.js';
export type { ClientState } from './client.js';
export { ClientError, ClientErrorCode, connackMessage, reasonText } from './errors.js';
export type { ClientErrorCodeValue } from './errors.js';
export { SubscribeRefusedError } from './outstanding.js';
export { CLIENT_DEFAULTS, parseClientUrl, randomClientId, resolveClientOptions } from './options.js';
export type {
  ClientConfig,
  ClientOptions,
  MqttClientOptions,
  ResolvedClientOptions,
  Transport,
  WillOptions,
} from './options.js';
export type {
  AuthChallenge,
  Authenticate,
  ClientMessage,
  ClientPublishOptions,
  ClientSubscribeOptions,
  ConnectResult,
  Granted,
  MqttClientEventName,
  MqttClientEvents,
  UnsubscribeResult,
} from './types.js';
