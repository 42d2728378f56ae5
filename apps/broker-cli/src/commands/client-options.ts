/**
 * The flags `midge pub` and `midge sub` share, spelled as mosquitto_pub/mosquitto_sub spell them, and
 * their translation into client options. Differences from aMQTT's amqtt_pub/amqtt_sub, on purpose:
 * `-c` DISABLES clean session (mosquitto's meaning; amqtt's `-c` turns it on, which is our default anyway),
 * and `-h` is the host, so help is `--help` only.
 */
import { createLogger, nullLogger } from '@midge/mqtt-core';
import type { MqttClientOptions } from '@midge/mqtt-core/client';
import { intFlag, UsageError } from '../args.js';
import { CLI_DIR } from '../cli-dir.js';
import type { CommandIO } from '../io.js';

export const CLIENT_FLAGS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  url: { type: 'string', short: 'L' },
  topic: { type: 'string', short: 't', multiple: true },
  qos: { type: 'string', short: 'q' },
  id: { type: 'string', short: 'i' },
  username: { type: 'string', short: 'u' },
  pw: { type: 'string', short: 'P' },
  keepalive: { type: 'string', short: 'k' },
  'disable-clean-session': { type: 'boolean', short: 'c' },
  'session-expiry': { type: 'string', short: 'x' },
  'protocol-version': { type: 'string', short: 'V' },
  'will-topic': { type: 'string' },
  'will-payload': { type: 'string' },
  // amqtt_pub/amqtt_sub spellings, so their users' scripts keep working.
  'will-message': { type: 'string' },
  'ca-file': { type: 'string' },
  'will-qos': { type: 'string' },
  'will-retain': { type: 'boolean' },
  cafile: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  debug: { type: 'boolean', short: 'd' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

export const CLIENT_FLAGS_HELP = `Connection:
  -h, --host HOST          broker host (default 127.0.0.1)
  -p, --port PORT          broker port (default 1883, 8883 with --cafile/--cert)
  -L, --url URL            mqtt://, mqtts://, ws://, wss:// URL, with user:pass@ and a path;
                           overrides -h and -p
  -i, --id ID              client id (default: random midge-xxxxxxxx)
  -u, --username USER      user name
  -P, --pw PASSWORD        password
  -k, --keepalive SECONDS  keepalive (default 10)
  -c, --disable-clean-session
                           keep the session on the broker (needs -i); as in mosquitto
  -x, --session-expiry SECONDS
                           MQTT 5 session expiry interval (4294967295: never); needs -V 5
  -D, --property COMMAND NAME VALUE
                           an MQTT 5 property (needs -V 5), as mosquitto: -D connect
                           session-expiry-interval 60, -D publish user-property unit celsius,
                           -D publish content-type|response-topic|correlation-data|
                           message-expiry-interval|payload-format-indicator ..., -D subscribe
                           subscription-identifier 5; repeat for more
  -V, --protocol-version 31|311|5
                           MQTT version (default 311)
  --will-topic TOPIC       publish this will if the connection drops
  --will-payload TEXT      the will's payload (also --will-message)
  --will-qos 0|1|2         the will's QoS
  --will-retain            retain the will
  --cafile FILE            CA certificates to verify the broker with (turns TLS on; also --ca-file)
  --cert FILE, --key FILE  client certificate and key (turns TLS on)
  --insecure               do not check the broker certificate's host name
  -d, --debug              log every packet to stderr
  --help, --version
`;

type Values = {
  [K in keyof typeof CLIENT_FLAGS]?: (typeof CLIENT_FLAGS)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof CLIENT_FLAGS)[K] extends { multiple: true }
      ? string[]
      : string;
};

const VERSIONS: Readonly<Record<string, 3 | 4 | 5>> = { '31': 3, mqttv31: 3, '311': 4, mqttv311: 4, '5': 5, mqttv5: 5 };

export function qosFlag(name: string, value: string | undefined): 0 | 1 | 2 | undefined {
  return intFlag(name, value, 0, 2) as 0 | 1 | 2 | undefined;
}

/** Client options from the shared flags; throws UsageError for a bad combination. */
export function clientOptionsFrom(given: Values, io: CommandIO): MqttClientOptions {
  const values: Values = {
    ...given,
    ...(given['will-message'] !== undefined ? { 'will-payload': given['will-payload'] ?? given['will-message'] } : {}),
    ...(given['ca-file'] !== undefined ? { cafile: given.cafile ?? given['ca-file'] } : {}),
  };
  const tls = values.cafile !== undefined || values.cert !== undefined;
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together');
  const port = intFlag('-p', values.port, 1, 65535) ?? (tls ? 8883 : 1883);
  const host = values.host ?? '127.0.0.1';
  const protocolVersion = values['protocol-version'] === undefined ? 4 : VERSIONS[values['protocol-version']];
  if (protocolVersion === undefined)
    throw new UsageError(`-V must be 31, 311 or 5, got '${values['protocol-version']}'`);
  const persistent = values['disable-clean-session'] === true;
  // A random id with a kept session would leave a session nobody can ever resume.
  if (persistent && values.id === undefined)
    throw new UsageError('-c (disable clean session) needs a client id: add -i ID');
  const willTopic = values['will-topic'];
  if (
    willTopic === undefined &&
    (values['will-payload'] !== undefined || values['will-qos'] !== undefined || values['will-retain'] === true)
  ) {
    throw new UsageError('--will-payload, --will-qos and --will-retain need --will-topic');
  }
  const sessionExpiry = intFlag('-x', values['session-expiry'], 0, 0xffffffff);
  if (sessionExpiry !== undefined && protocolVersion !== 5)
    throw new UsageError('-x (session expiry) is an MQTT 5 property: add -V 5');
  const debug = values.debug === true;
  const keepalive = intFlag('-k', values.keepalive, 0, 65535);
  return {
    url: values.url ?? `${tls ? 'mqtts' : 'mqtt'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    protocolVersion,
    clean: !persistent,
    ...(values.id !== undefined ? { clientId: values.id } : {}),
    ...(values.username !== undefined ? { username: values.username } : {}),
    ...(values.pw !== undefined ? { password: values.pw } : {}),
    ...(keepalive !== undefined ? { keepalive } : {}),
    ...(sessionExpiry !== undefined ? { properties: { sessionExpiryInterval: sessionExpiry } } : {}),
    ...(willTopic !== undefined
      ? {
          will: {
            topic: willTopic,
            payload: values['will-payload'] ?? '',
            qos: qosFlag('--will-qos', values['will-qos']) ?? 0,
            retain: values['will-retain'] === true,
          },
        }
      : {}),
    ...(values.cafile !== undefined ? { ca: values.cafile } : {}),
    ...(values.cert !== undefined ? { cert: values.cert } : {}),
    ...(values.key !== undefined ? { key: values.key } : {}),
    ...(values.insecure === true ? { insecure: true } : {}),
    // The packet logger is the client's default plugin; without -d nobody would read it, so skip loading it.
    ...(debug
      ? { logger: createLogger({ level: 'debug', pretty: true, destination: io.stderr }), searchDirs: [CLI_DIR] }
      : { logger: nullLogger, plugins: {} }),
  };
}

/**
 * The client options with the CONNECT properties of `-D connect ...` added (over -x's session expiry);
 * -D needs MQTT 5 (`-V 5`).
 */
export function withConnectProperties(
  options: MqttClientOptions,
  flags: { readonly any: boolean; readonly properties: Readonly<Record<string, Record<string, unknown>>> },
): MqttClientOptions {
  if (!flags.any) return options;
  if (options.protocolVersion !== 5) throw new UsageError('-D sets MQTT 5 properties: add -V 5');
  const connect = flags.properties.connect;
  if (connect === undefined) return options;
  return { ...options, properties: { ...options.properties, ...connect } };
}
