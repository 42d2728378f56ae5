/**
 * Every `code` a Midge error can carry, with what happened and what to do about it (Astro's
 * `errors-data.ts` is the model). `MidgeError`'s constructor takes `ErrorCode`, so a code that is not
 * listed here is a compile error.
 *
 * Codes are permanent: users grep logs and branch on them. Never rename or reuse one; a code that is
 * no longer thrown stays listed with `retired: true` and says so in its description.
 *
 * It lives in codec/ beside `MidgeError` because the codec imports nothing from the rest of core
 *; the table is plain data and imports nothing itself.
 */

/** Which error class carries a code. */
export type ErrorClassName = 'CodecError' | 'ConfigError' | 'PluginError' | 'MidgeError' | 'ClientError';

export interface ErrorCodeInfo {
  /** The class thrown with this code (all of them extend MidgeError). */
  readonly errorClass: ErrorClassName;
  /** What happened, in one line. */
  readonly description: string;
  /** What to do about it, in one line. */
  readonly hint: string;
  /** No longer thrown; listed so that the code is never reused with another meaning. */
  readonly retired?: true;
}

export const ErrorCodes = {
  // Codec: bytes that are not a valid packet (the broker closes only that connection).
  CODEC_MALFORMED: {
    errorClass: 'CodecError',
    description: 'A packet broke the MQTT grammar (reason code 0x81); `specRule` names the rule when there is one.',
    hint: 'Fix the sending client or library; the connection that sent it is closed, others are not affected.',
  },
  CODEC_PROTOCOL: {
    errorClass: 'CodecError',
    description: 'A packet parsed but broke a protocol rule, e.g. a second CONNECT (reason code 0x82).',
    hint: 'Fix the sending client; `specRule` on the error names the normative statement it broke.',
  },
  CODEC_TOO_LARGE: {
    errorClass: 'CodecError',
    description: "A packet was larger than the receiver's maximum packet size (reason code 0x95).",
    hint: 'Send smaller messages, or raise `max_packet_size` on the broker (the client option on a client).',
  },
  CODEC_UNSUPPORTED_PROTOCOL: {
    errorClass: 'CodecError',
    description: 'CONNECT named a protocol name or level other than MQTT 3.1, 3.1.1 or 5.0 (reason code 0x84).',
    hint: 'Connect with protocol level 3, 4 or 5.',
  },
  CODEC_UNENCODABLE: {
    errorClass: 'CodecError',
    description: 'The encoder was given a packet that cannot be put on the wire (a field out of range or missing).',
    hint: 'Fix the packet object passed to encodePacket; `reasonCode` says what a peer would answer.',
  },

  // Configuration.
  CONFIG_INVALID: {
    errorClass: 'ConfigError',
    description:
      'The broker config cannot run; `issues` lists every problem as `file:line:col: path: message` (a plugin that cannot be used among them, with its `PLUGIN_*` code as the issue `code`).',
    hint: 'Fix each listed key (`midge -c FILE --check` reports them all without starting the broker).',
  },

  // Plugins: resolving, loading, checking and setting them up.
  PLUGIN_NOT_FOUND: {
    errorClass: 'PluginError',
    description: 'A `plugins:` entry names a package or file that cannot be found from the config folder.',
    hint: "Fix the name (the message suggests the closest known plugin; it names `npm install` only for Midge's own packages), install a third-party plugin next to the config file under the exact name its author published, or fix the path (relative to the config file's folder).",
  },
  PLUGIN_LOAD_FAILED: {
    errorClass: 'PluginError',
    description: 'A plugin was found but importing it failed (its entry file is missing, or the module threw).',
    hint: 'Read the cause: build the package if its dist/ is missing, or fix the error its module throws on import.',
  },
  PLUGIN_INVALID: {
    errorClass: 'PluginError',
    description:
      'A module is not a usable Midge plugin: no definePlugin() export, a bad definition, or the wrong side (runsIn).',
    hint: 'Export `definePlugin({ name, apiVersion, setup })` as the default export, and list it where its runsIn says it runs.',
  },
  PLUGIN_API_VERSION: {
    errorClass: 'PluginError',
    description: "A plugin was built for another plugin API version than this broker's.",
    hint: 'Install a version of the plugin made for this broker (or upgrade the broker).',
  },
  PLUGIN_SETUP_FAILED: {
    errorClass: 'PluginError',
    description:
      "A plugin's setup threw, returned something that is not hooks, or claimed an enhancedAuth method another plugin owns.",
    hint: "Read the message and cause; fix the plugin's config or report it to the plugin's authors.",
  },
  PLUGIN_SETUP_TIMEOUT: {
    errorClass: 'PluginError',
    description: "A plugin's setup did not finish within `plugin_setup_timeout`; the broker did not start.",
    hint: 'Check what the setup waits for (a server it connects to?), or raise `plugin_setup_timeout` in the config.',
  },
  PLUGIN_RELOAD_TIMEOUT: {
    errorClass: 'PluginError',
    description:
      "A plugin's reload hook did not finish within `plugin_setup_timeout`; the reload is reported as failed.",
    hint: 'Check what the reload waits for, or raise `plugin_setup_timeout`; the broker keeps running.',
  },

  // The broker's embedding API and listeners.
  BROKER_STATE: {
    errorClass: 'MidgeError',
    description: 'start() was called on a broker that is already started or closed.',
    hint: 'Create a new broker with createBroker() for each start.',
  },
  BROKER_PUBLISH_OPTIONS: {
    errorClass: 'MidgeError',
    description:
      'broker.publish() was given no or contradictory authority ({ as } or { trusted }), or an origin the API may not claim.',
    hint: 'Pass exactly one of `{ as: clientInfo }` or `{ trusted: true }` as the second argument.',
  },
  BROKER_INVALID_TOPIC: {
    errorClass: 'MidgeError',
    description:
      'broker.publish() was given a topic that is not a valid topic name (empty, a wildcard, or over the limits).',
    hint: 'Publish to a topic name without + or #, within max_topic_length and max_topic_levels.',
  },
  BROKER_PUBLISH_DENIED: {
    errorClass: 'MidgeError',
    description: 'broker.publish() was refused: the $-topic rule, or authorization of the client it publishes as.',
    hint: 'Publish as a client allowed to, or with { trusted: true } when the application itself is the publisher.',
  },
  BROKER_PUBLISH_NOT_STORED: {
    errorClass: 'MidgeError',
    description:
      'broker.publish() of a QoS 1/2 message: the store failed to write it for a persistent session or as the retained value (disk full, I/O error).',
    hint: 'Free space on (or repair) the persistence directory; the broker keeps serving and stores again once writes succeed.',
  },
  LISTENER_BIND: {
    errorClass: 'MidgeError',
    description:
      'A listener could not listen on its address (port in use, an address this machine does not have, no permission, unknown host).',
    hint: 'Choose another port or bind address, or stop the process that uses it.',
  },
  LISTENER_TLS: {
    errorClass: 'MidgeError',
    description:
      "A TLS listener is missing certfile/keyfile, or a certificate, key or CA file cannot be read, is not PEM, has a passphrase, or the key is not the certificate's.",
    hint: 'Set certfile and keyfile to readable PEM files of one certificate and its key (and cafile/capath if clients present certificates); `midge --check` finds these before a start.',
  },

  // The MQTT client.
  CLIENT_CONNECT_REFUSED: {
    errorClass: 'ClientError',
    description: 'The broker answered CONNECT with a refusal; `reasonCode` holds the CONNACK code.',
    hint: 'Check credentials, client id and protocol version against what the broker allows.',
  },
  CLIENT_TIMEOUT: {
    errorClass: 'ClientError',
    description: 'No CONNACK, PINGRESP or other awaited answer arrived in time.',
    hint: 'Check that the broker is reachable and responsive, or raise connectTimeout / keepalive.',
  },
  CLIENT_CLOSED: {
    errorClass: 'ClientError',
    description: 'The client was closed (end(), or it gave up reconnecting) before the operation finished.',
    hint: 'Do not start operations on a client after closing it.',
  },
  CLIENT_NOT_CONNECTED: {
    errorClass: 'ClientError',
    description: 'An operation needs a connection, but connect() was not called or has not succeeded yet.',
    hint: 'Await connect() before publishing, subscribing or re-authenticating.',
  },
  CLIENT_NETWORK: {
    errorClass: 'ClientError',
    description: 'The connection could not be opened or broke (DNS, refused, TLS, WebSocket upgrade, disconnect).',
    hint: 'Check the broker URL, network and TLS settings; `cause` holds the underlying error.',
  },
  CLIENT_PROTOCOL: {
    errorClass: 'ClientError',
    description: 'The broker sent bytes that are not valid MQTT, or a packet the client cannot accept.',
    hint: 'Check that the URL points at an MQTT broker speaking the configured protocol version.',
  },
  CLIENT_RECONNECT_FAILED: {
    errorClass: 'ClientError',
    description: 'Every reconnect attempt failed; `cause` holds the last failure.',
    hint: 'Check the broker is up and reachable; raise the reconnect limits if outages are expected to last.',
  },
  CLIENT_SUBSCRIBE_REFUSED: {
    errorClass: 'ClientError',
    description: 'The broker refused one or more filters of a SUBSCRIBE (SUBACK 0x80 or a v5 failure code).',
    hint: 'Subscribe only to filters the broker allows this client (see its ACL); the error lists refused and granted ones.',
  },
  CLIENT_PUBLISH_REFUSED: {
    errorClass: 'ClientError',
    description: 'A v5 broker answered a PUBLISH with a failure reason code (PUBACK/PUBREC >= 0x80).',
    hint: 'Publish only where the broker allows this client; `reasonCode` says why it refused.',
  },
  CLIENT_INVALID_ARGUMENT: {
    errorClass: 'ClientError',
    description: 'Options or arguments that cannot work (a bad URL, QoS 3, a wildcard in a publish topic, ...).',
    hint: 'Fix the argument named in the message.',
  },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>;

/** A code a Midge error carries: one of the keys of `ErrorCodes`. */
export type ErrorCode = keyof typeof ErrorCodes;

/** The codes carried by one error class, e.g. `ErrorCodeOf<'PluginError'>`. */
export type ErrorCodeOf<C extends ErrorClassName> = {
  [K in ErrorCode]: (typeof ErrorCodes)[K]['errorClass'] extends C ? K : never;
}[ErrorCode];

/** True when `code` is a code of this catalog (e.g. to narrow an `err.code` read from elsewhere). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ErrorCodes, code);
}
