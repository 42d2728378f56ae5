/**
 * `-D COMMAND IDENTIFIER VALUE` (mosquitto_pub/mosquitto_sub's flag for MQTT 5 properties), e.g.
 * `-D publish user-property unit celsius`, `-D connect session-expiry-interval 60`,
 * `-D publish content-type application/json`. Taken out of the argument list before the other flags are
 * parsed (node's parser has no flag with three values), then checked: an unknown command or identifier,
 * or a value of the wrong kind, is a usage error naming what is allowed.
 */
import { UsageError } from '../args.js';

type Kind = 'int' | 'flag' | 'text' | 'bytes' | 'pair';

/** Property identifiers per command, with their value kind and the property's name in the codec. */
const IDENTIFIERS: Readonly<Record<string, Readonly<Record<string, readonly [Kind, string]>>>> = {
  connect: {
    'session-expiry-interval': ['int', 'sessionExpiryInterval'],
    'receive-maximum': ['int', 'receiveMaximum'],
    'maximum-packet-size': ['int', 'maximumPacketSize'],
    'topic-alias-maximum': ['int', 'topicAliasMaximum'],
    'request-response-information': ['flag', 'requestResponseInformation'],
    'request-problem-information': ['flag', 'requestProblemInformation'],
    'user-property': ['pair', 'userProperties'],
  },
  publish: {
    'payload-format-indicator': ['flag', 'payloadFormatIndicator'],
    'message-expiry-interval': ['int', 'messageExpiryInterval'],
    'content-type': ['text', 'contentType'],
    'response-topic': ['text', 'responseTopic'],
    'correlation-data': ['bytes', 'correlationData'],
    'user-property': ['pair', 'userProperties'],
  },
  subscribe: {
    'subscription-identifier': ['int', 'subscriptionIdentifier'],
    'user-property': ['pair', 'userProperties'],
  },
};

export type PropertySet = Record<string, unknown>;

export interface PropertyFlags {
  /** The arguments without the -D flags. */
  readonly argv: string[];
  /** Properties per command (`connect`, `publish`, `subscribe`), as the codec names them. */
  readonly properties: Readonly<Record<string, PropertySet>>;
  /** Whether any -D was given (they need MQTT 5). */
  readonly any: boolean;
}

/** Takes the -D/--property flags out of `argv`, for the commands `allowed` (pub: connect, publish). */
export function takePropertyFlags(argv: readonly string[], allowed: readonly string[]): PropertyFlags {
  const rest: string[] = [];
  const properties: Record<string, PropertySet> = {};
  let any = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg !== '-D' && arg !== '--property') {
      rest.push(arg);
      continue;
    }
    const command = argv[i + 1];
    const identifier = argv[i + 2];
    if (command === undefined || !allowed.includes(command))
      throw new UsageError(`-D needs a command first: ${allowed.join(' or ')}, got '${command ?? ''}'`);
    const known = IDENTIFIERS[command] ?? {};
    const spec = identifier === undefined ? undefined : known[identifier];
    if (identifier === undefined || spec === undefined)
      throw new UsageError(
        `-D ${command}: unknown property '${identifier ?? ''}' (known: ${Object.keys(known).join(', ')})`,
      );
    const [kind, name] = spec;
    const values = argv.slice(i + 3, i + 3 + (kind === 'pair' ? 2 : 1));
    if (values.length < (kind === 'pair' ? 2 : 1))
      throw new UsageError(`-D ${command} ${identifier} needs ${kind === 'pair' ? 'a name and a value' : 'a value'}`);
    i += 2 + values.length;
    const set = (properties[command] ??= {});
    any = true;
    const value = values[0] as string;
    if (kind === 'pair') {
      const pairs = (set[name] as [string, string][] | undefined) ?? [];
      pairs.push([value, values[1] as string]);
      set[name] = pairs;
    } else if (kind === 'int' || kind === 'flag') {
      const n = Number(value);
      const max = kind === 'flag' ? 1 : 0xffffffff;
      if (!Number.isInteger(n) || n < 0 || n > max)
        throw new UsageError(
          `-D ${command} ${identifier} needs ${kind === 'flag' ? '0 or 1' : 'a whole number'}, got '${value}'`,
        );
      // Flags are booleans in the codec; a SUBSCRIBE's identifier travels as a list of one.
      set[name] = kind === 'flag' ? n === 1 : name === 'subscriptionIdentifier' ? [n] : n;
    } else if (kind === 'bytes') set[name] = Buffer.from(value);
    else set[name] = value;
  }
  return { argv: rest, properties, any };
}
