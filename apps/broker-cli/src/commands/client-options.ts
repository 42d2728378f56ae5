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
  'id-prefix': { type: 'string', short: 'I' },
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
  // Nagle's algorithm is always off in midge's client: accepted so mosquitto command lines run.
  nodelay: { type: 'boolean' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

/** mosquitto_pub/mosquitto_sub flags midge's client does not have, and why (shown instead of a guess). */
export const NOT_IN_MIDGE: Readonly<Record<string, string>> = {
  '-A': 'the client cannot bind its socket to a local address',
  '--unix': 'the client connects over TCP, TLS and WebSocket only, not Unix sockets',
  '--proxy': 'the client has no SOCKS proxy support',
  '--psk': 'TLS-PSK is not supported (Node negotiates certificate-based TLS)',
  '--psk-identity': 'TLS-PSK is not supported (Node negotiates certificate-based TLS)',
  '--capath': 'give the CA certificates as one file with --cafile',
  '--ciphers': 'the client uses Node.js default TLS ciphers',
  '--tls-version': 'the client uses Node.js default TLS versions (1.2 and 1.3)',
  '--tls-alpn': 'the client sends no ALPN protocol',
  '--tls-engine': 'OpenSSL engines are not supported',
  '--tls-engine-kpass-sha1': 'OpenSSL engines are not supported',
  '--keyform': 'keys are read as PEM files only',
  '--tls-use-os-certs': "the client trusts Node's bundled CA list unless --cafile is given",
  '--random-filter': 'not implemented',
  '-M': 'the client keeps its own in-flight window',
  '-S': 'DNS SRV lookup is not supported: give -h HOST -p PORT',
};

export const CLIENT_FLAGS_HELP = `Connection:
  -h, --host HOST          broker host (default 127.0.0.1)
  -p, --port PORT          broker port (default 1883, 8883 with --cafile/--cert)
  -L, --url URL            mqtt://, mqtts://, ws://, wss:// URL, with user:pass@ and a path;
                           overrides -h and -p
  -i, --id ID              client id (default: random midge-xxxxxxxx)
  -I, --id-prefix PREFIX   client id PREFIX followed by the process id (as mosquitto)
  -u, --username USER      user name
  -P, --pw PASSWORD        password
  -k, --keepalive SECONDS  keepalive (default 10)
  -c, --disable-clean-session
                           keep the session on the broker (needs -i); as in mosquitto
  -x, --session-expiry SECONDS
                           MQTT 5 session expiry interval (-1 or 4294967295: never); needs -V 5;
                           with -c and -V 5 it defaults to never, as in mosquitto
  -D, --property COMMAND NAME VALUE
                           an MQTT 5 property (needs -V 5), as mosquitto: -D connect
                           session-expiry-interval 60, -D publish user-property unit celsius,
                           -D publish content-type|response-topic|correlation-data|
                           message-expiry-interval|payload-format-indicator ..., -D subscribe
                           subscription-identifier 5; repeat for more
  -V, --protocol-version 31|311|5
                           MQTT version (default 311; also mqttv31, mqttv311, mqttv5)
  --will-topic TOPIC       publish this will if the connection drops
  --will-payload TEXT      the will's payload (also --will-message)
  --will-qos 0|1|2         the will's QoS
  --will-retain            retain the will
  --cafile FILE            CA certificates to verify the broker with (turns TLS on; also --ca-file)
  --cert FILE, --key FILE  client certificate and key (turns TLS on)
  --insecure               do not check the broker certificate's host name
  -d, --debug              log every packet to stderr
  --nodelay                accepted for mosquitto's command lines: Nagle's algorithm is always off
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

const NEVER_EXPIRES = 0xffffffff;

/** `-x`: seconds, or -1 / ∞ / 4294967295 for a session that never expires (as mosquitto). */
function sessionExpiryFlag(value: string | undefined): number | undefined {
  if (value === '-1' || value === '∞') return NEVER_EXPIRES;
  return intFlag('-x', value, 0, NEVER_EXPIRES);
}

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
  if (values.id !== undefined && values['id-prefix'] !== undefined)
    throw new UsageError('give either -i or -I, not both');
  const clientId =
    values.id ?? (values['id-prefix'] !== undefined ? `${values['id-prefix']}${process.pid}` : undefined);
  // A random id with a kept session would leave a session nobody can ever resume.
  if (persistent && clientId === undefined)
    throw new UsageError('-c (disable clean session) needs a client id: add -i ID');
  const willTopic = values['will-topic'];
  if (
    willTopic === undefined &&
    (values['will-payload'] !== undefined || values['will-qos'] !== undefined || values['will-retain'] === true)
  ) {
    throw new UsageError('--will-payload, --will-qos and --will-retain need --will-topic');
  }
  const sessionExpiry = sessionExpiryFlag(values['session-expiry']);
  if (sessionExpiry !== undefined && protocolVersion !== 5)
    throw new UsageError('-x (session expiry) is an MQTT 5 property: add -V 5');
  // mosquitto: -c keeps the session for ever unless -x says otherwise (MQTT 5 would end it at once).
  const expiry = sessionExpiry ?? (persistent && protocolVersion === 5 ? NEVER_EXPIRES : undefined);
  const debug = values.debug === true;
  const keepalive = intFlag('-k', values.keepalive, 0, 65535);
  return {
    url: values.url ?? `${tls ? 'mqtts' : 'mqtt'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    protocolVersion,
    clean: !persistent,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(values.username !== undefined ? { username: values.username } : {}),
    ...(values.pw !== undefined ? { password: values.pw } : {}),
    ...(keepalive !== undefined ? { keepalive } : {}),
    ...(expiry !== undefined ? { properties: { sessionExpiryInterval: expiry } } : {}),
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
