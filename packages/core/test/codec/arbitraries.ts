/**
 * fast-check arbitraries producing VALID MQTT packets, in the canonical form the decoder returns
 * (see the top comment of src/codec/packets.ts):
 * - optional fields are absent, never `undefined`; `properties` is absent or non-empty, v5 only, and
 *   only holds properties legal for its packet;
 * - v5 acks, DISCONNECT and AUTH always carry a reasonCode from the legal set of their packet;
 * - v5 SUBSCRIBE entries carry noLocal, retainAsPublished and retainHandling; v3/v4 ones never do;
 * - QoS > 0 PUBLISH has packetId 1..65535, QoS 0 has none and DUP 0;
 * - strings avoid U+0000 and the code points the spec says SHOULD NOT appear (C0/C1 controls,
 *   non-characters), so every receiver must accept them; topic names are non-empty without wildcards,
 *   topic filters are well-formed.
 *
 * `ArbOptions` narrows generation for comparisons against other implementations (see differential.test.ts).
 */
import fc from 'fast-check';
import type {
  AckProperties,
  AllProperties,
  AuthProperties,
  ConnackProperties,
  ConnectProperties,
  DisconnectProperties,
  Packet,
  ProtocolVersion,
  PublishProperties,
  QoS,
  SubscribeProperties,
  Subscription,
  UnsubscribeProperties,
  UserProperty,
  WillProperties,
} from '../../src/codec/index.js';

export interface ArbOptions {
  /** Longest generated string, in code points (default 12). */
  maxStringLength?: number;
  /** Longest generated payload/binary, in bytes (default 64). */
  maxPayloadLength?: number;
  /** Most items in repeated fields (subscriptions, user properties, ...) (default 4). */
  maxItems?: number;
  /** User property names are distinct and never array-index-like ("0", "17"); see differential.test.ts. */
  distinctUserPropertyNames?: boolean;
  /** PUBLISH carries at most one subscription identifier. */
  singleSubscriptionIdentifier?: boolean;
  /** Generate only printable ASCII in strings. */
  asciiOnly?: boolean;
}

interface Resolved {
  maxStringLength: number;
  maxPayloadLength: number;
  maxItems: number;
  distinctUserPropertyNames: boolean;
  singleSubscriptionIdentifier: boolean;
  asciiOnly: boolean;
}

function resolve(options: ArbOptions = {}): Resolved {
  return {
    maxStringLength: options.maxStringLength ?? 12,
    maxPayloadLength: options.maxPayloadLength ?? 64,
    maxItems: options.maxItems ?? 4,
    distinctUserPropertyNames: options.distinctUserPropertyNames ?? false,
    singleSubscriptionIdentifier: options.singleSubscriptionIdentifier ?? false,
    asciiOnly: options.asciiOnly ?? false,
  };
}

/** Code points a receiver MAY reject (section 1.5.4): controls and non-characters; U+0000 MUST be rejected. */
export function isDiscouragedCodePoint(cp: number): boolean {
  return (
    cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe // U+xxFFFE and U+xxFFFF in every plane
  );
}

const printable = fc.integer({ min: 0x20, max: 0x7e });
const anyCodePoint = fc
  .oneof(
    { weight: 6, arbitrary: printable },
    { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0x7ff }) }, // 2-byte UTF-8
    { weight: 2, arbitrary: fc.integer({ min: 0x800, max: 0xd7ff }) }, // 3-byte UTF-8
    { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xfffd }) }, // 3-byte, after the surrogates
    { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) }, // 4-byte UTF-8
  )
  .filter((cp) => !isDiscouragedCodePoint(cp));

/** A valid MQTT UTF-8 string (no U+0000, no lone surrogate, no discouraged code point). */
export function mqttStringArb(
  o: Resolved,
  constraints: { minLength?: number; exclude?: string } = {},
): fc.Arbitrary<string> {
  const exclude = new Set([...(constraints.exclude ?? '')].map((c) => c.codePointAt(0)));
  const cp = (o.asciiOnly ? printable : anyCodePoint).filter((c) => !exclude.has(c));
  return fc
    .array(cp, { minLength: constraints.minLength ?? 0, maxLength: o.maxStringLength })
    .map((cps) => String.fromCodePoint(...cps));
}

/** A topic name: non-empty, no wildcard characters [MQTT-3.3.2-2]. */
export function topicNameArb(o: Resolved): fc.Arbitrary<string> {
  return mqttStringArb(o, { minLength: 1, exclude: '+#' });
}

/** A well-formed topic filter: '+' alone in a level, '#' alone in the last level; never a shared subscription. */
export function topicFilterArb(o: Resolved): fc.Arbitrary<string> {
  const level = fc.oneof(
    {
      weight: 4,
      arbitrary: mqttStringArb({ ...o, maxStringLength: Math.max(1, o.maxStringLength >> 1) }, { exclude: '+#/' }),
    },
    { weight: 1, arbitrary: fc.constant('+') },
  );
  return fc
    .tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
    .filter((t) => t.length > 0 && !t.startsWith('$share/'));
}

export function bufferArb(o: Resolved, maxLength = o.maxPayloadLength): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
}

/** fast-check 4 may build records with a null prototype; packets are plain objects. */
const PLAIN = { noNullPrototype: true } as const;

const u16 = fc.integer({ min: 0, max: 0xffff });
const u16NonZero = fc.integer({ min: 1, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u32NonZero = fc.integer({ min: 1, max: 0xffffffff });
const varIntNonZero = fc.integer({ min: 1, max: 268_435_455 });
export const packetIdArb = u16NonZero;
export const qosArb: fc.Arbitrary<QoS> = fc.constantFrom(0, 1, 2);

function userPropertiesArb(o: Resolved): fc.Arbitrary<UserProperty[]> {
  const pair = fc.tuple(mqttStringArb(o), mqttStringArb(o));
  if (!o.distinctUserPropertyNames) return fc.array(pair, { minLength: 1, maxLength: o.maxItems });
  return fc
    .uniqueArray(pair, { minLength: 1, maxLength: o.maxItems, selector: ([name]) => name })
    .filter((pairs) => pairs.every(([name]) => !/^(?:0|[1-9][0-9]*)$/.test(name)));
}

/** Drop undefined values so optional keys are absent, never `undefined`. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

type PropertyArbs = { [K in keyof AllProperties]-?: fc.Arbitrary<NonNullable<AllProperties[K]>> };

function propertyArbs(o: Resolved, context: 'publish' | 'subscribe' | 'other'): PropertyArbs {
  return {
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: u32,
    contentType: mqttStringArb(o),
    responseTopic: topicNameArb(o),
    correlationData: bufferArb(o, 16),
    subscriptionIdentifier:
      context === 'publish' && !o.singleSubscriptionIdentifier
        ? fc.array(varIntNonZero, { minLength: 1, maxLength: 3 })
        : varIntNonZero.map((n) => [n]),
    sessionExpiryInterval: u32,
    assignedClientIdentifier: mqttStringArb(o),
    serverKeepAlive: u16,
    authenticationMethod: mqttStringArb(o),
    authenticationData: bufferArb(o, 16),
    requestProblemInformation: fc.boolean(),
    willDelayInterval: u32,
    requestResponseInformation: fc.boolean(),
    responseInformation: mqttStringArb(o),
    serverReference: mqttStringArb(o),
    reasonString: mqttStringArb(o),
    receiveMaximum: u16NonZero,
    topicAliasMaximum: u16,
    topicAlias: u16NonZero,
    maximumQoS: fc.constantFrom<0 | 1>(0, 1),
    retainAvailable: fc.boolean(),
    userProperties: userPropertiesArb(o),
    maximumPacketSize: u32NonZero,
    wildcardSubscriptionAvailable: fc.boolean(),
    subscriptionIdentifierAvailable: fc.boolean(),
    sharedSubscriptionAvailable: fc.boolean(),
  };
}

/**
 * Optional v5 properties made of `names`: absent (about a third of the time) or a non-empty object.
 * Authentication Data only comes with an Authentication Method (3.1.2.11.10).
 */
function propertiesArb<T extends object>(
  o: Resolved,
  names: readonly (keyof AllProperties)[],
  context: 'publish' | 'subscribe' | 'other' = 'other',
): fc.Arbitrary<T | undefined> {
  const all = propertyArbs(o, context);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) model[name] = all[name];
  const props = fc
    .record(model, { requiredKeys: [], noNullPrototype: true })
    .map((p) => {
      if ('authenticationData' in p && !('authenticationMethod' in p)) delete p.authenticationData;
      return p;
    })
    .filter((p) => Object.keys(p).length > 0);
  return fc.option(props as fc.Arbitrary<T>, { nil: undefined, freq: 3 });
}

export const CONNECT_PROPERTIES = [
  'sessionExpiryInterval',
  'receiveMaximum',
  'maximumPacketSize',
  'topicAliasMaximum',
  'requestResponseInformation',
  'requestProblemInformation',
  'userProperties',
  'authenticationMethod',
  'authenticationData',
] as const satisfies readonly (keyof ConnectProperties)[];
export const WILL_PROPERTIES = [
  'willDelayInterval',
  'payloadFormatIndicator',
  'messageExpiryInterval',
  'contentType',
  'responseTopic',
  'correlationData',
  'userProperties',
] as const satisfies readonly (keyof WillProperties)[];
export const CONNACK_PROPERTIES = [
  'sessionExpiryInterval',
  'receiveMaximum',
  'maximumQoS',
  'retainAvailable',
  'maximumPacketSize',
  'assignedClientIdentifier',
  'topicAliasMaximum',
  'reasonString',
  'userProperties',
  'wildcardSubscriptionAvailable',
  'subscriptionIdentifierAvailable',
  'sharedSubscriptionAvailable',
  'serverKeepAlive',
  'responseInformation',
  'serverReference',
  'authenticationMethod',
  'authenticationData',
] as const satisfies readonly (keyof ConnackProperties)[];
export const PUBLISH_PROPERTIES = [
  'payloadFormatIndicator',
  'messageExpiryInterval',
  'topicAlias',
  'responseTopic',
  'correlationData',
  'userProperties',
  'subscriptionIdentifier',
  'contentType',
] as const satisfies readonly (keyof PublishProperties)[];
export const ACK_PROPERTIES = ['reasonString', 'userProperties'] as const satisfies readonly (keyof AckProperties)[];
export const SUBSCRIBE_PROPERTIES = [
  'subscriptionIdentifier',
  'userProperties',
] as const satisfies readonly (keyof SubscribeProperties)[];
export const UNSUBSCRIBE_PROPERTIES = ['userProperties'] as const satisfies readonly (keyof UnsubscribeProperties)[];
export const DISCONNECT_PROPERTIES = [
  'sessionExpiryInterval',
  'reasonString',
  'userProperties',
  'serverReference',
] as const satisfies readonly (keyof DisconnectProperties)[];
export const AUTH_PROPERTIES = [
  'authenticationMethod',
  'authenticationData',
  'reasonString',
  'userProperties',
] as const satisfies readonly (keyof AuthProperties)[];

/** Legal v5 reason codes per packet (MQTT 5.0 sections 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1, 3.15.2.1). */
export const REASON_CODES = {
  connack: [
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b,
    0x9c, 0x9d, 0x9f,
  ],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
    0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
  auth: [0x00, 0x18, 0x19],
} as const;

/** v3/v4 CONNACK return codes and SUBACK return codes. */
export const V4_CONNACK_CODES = [0, 1, 2, 3, 4, 5] as const;
export const V4_SUBACK_CODES = [0x00, 0x01, 0x02, 0x80] as const;

export type PacketTypeName = Packet['type'];
export const ALL_TYPES: readonly PacketTypeName[] = [
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
];

/** Packet types that exist at `version` (AUTH is 5.0 only). */
export function typesFor(version: ProtocolVersion): readonly PacketTypeName[] {
  return version === 5 ? ALL_TYPES : ALL_TYPES.filter((t) => t !== 'auth');
}

function reasonCodeArb(codes: readonly number[]): fc.Arbitrary<number> {
  return fc.constantFrom(...codes);
}

/** A valid packet of `type` for `version`, in canonical form. */
export function packetOfTypeArb(
  type: PacketTypeName,
  version: ProtocolVersion,
  options?: ArbOptions,
): fc.Arbitrary<Packet> {
  const o = resolve(options);
  const v5 = version === 5;
  switch (type) {
    case 'connect': {
      const will = fc
        .record(
          {
            topic: topicNameArb(o),
            payload: bufferArb(o),
            qos: qosArb,
            retain: fc.boolean(),
            properties: v5 ? propertiesArb<WillProperties>(o, WILL_PROPERTIES) : fc.constant(undefined),
          },
          PLAIN,
        )
        .map(compact);
      // 3.1 requires a client identifier of 1 to 23 characters.
      const clientId = version === 3 ? fc.stringMatching(/^[0-9A-Za-z]{1,23}$/) : mqttStringArb(o);
      return fc
        .record(
          {
            clean: fc.boolean(),
            keepalive: u16,
            clientId,
            will: fc.option(will, { nil: undefined }),
            username: fc.option(mqttStringArb(o), { nil: undefined }),
            password: fc.option(bufferArb(o, 16), { nil: undefined }),
            properties: v5 ? propertiesArb<ConnectProperties>(o, CONNECT_PROPERTIES) : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((c) =>
          compact({
            type: 'connect' as const,
            protocolName: version === 3 ? ('MQIsdp' as const) : ('MQTT' as const),
            protocolVersion: version,
            ...c,
            // Before 5.0 a password needs a user name [MQTT-3.1.2-22].
            password: !v5 && c.username === undefined ? undefined : c.password,
          }),
        );
    }
    case 'connack': {
      const codes: readonly number[] = v5 ? REASON_CODES.connack : V4_CONNACK_CODES;
      return (
        fc
          .record(
            {
              sessionPresent: version === 3 ? fc.constant(false) : fc.boolean(),
              reasonCode: reasonCodeArb(codes),
              properties: v5 ? propertiesArb<ConnackProperties>(o, CONNACK_PROPERTIES) : fc.constant(undefined),
            },
            PLAIN,
          )
          // Session Present is 0 with a non-zero code [MQTT-3.2.2-4] (3.1.1) / [MQTT-3.2.2-6] (5.0).
          .map((c) =>
            compact({ type: 'connack' as const, ...c, sessionPresent: c.reasonCode === 0 && c.sessionPresent }),
          )
      );
    }
    case 'publish':
      return fc
        .record(
          {
            topic: topicNameArb(o),
            payload: bufferArb(o),
            qos: qosArb,
            retain: fc.boolean(),
            dup: fc.boolean(),
            packetId: packetIdArb,
            properties: v5
              ? propertiesArb<PublishProperties>(o, PUBLISH_PROPERTIES, 'publish')
              : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((p) =>
          compact({
            type: 'publish' as const,
            topic: p.topic,
            payload: p.payload,
            qos: p.qos,
            retain: p.retain,
            dup: p.qos > 0 && p.dup,
            packetId: p.qos > 0 ? p.packetId : undefined,
            properties: p.properties,
          }),
        );
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return fc
        .record(
          {
            packetId: packetIdArb,
            reasonCode: v5 ? reasonCodeArb(REASON_CODES[type]) : fc.constant(undefined),
            properties: v5 ? propertiesArb<AckProperties>(o, ACK_PROPERTIES) : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((a) => compact({ type, ...a }));
    case 'subscribe': {
      const subscription: fc.Arbitrary<Subscription> = v5
        ? fc.record(
            {
              topic: topicFilterArb(o),
              qos: qosArb,
              noLocal: fc.boolean(),
              retainAsPublished: fc.boolean(),
              retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
            },
            PLAIN,
          )
        : fc.record({ topic: topicFilterArb(o), qos: qosArb }, PLAIN);
      return fc
        .record(
          {
            packetId: packetIdArb,
            subscriptions: fc.array(subscription, { minLength: 1, maxLength: o.maxItems }),
            properties: v5
              ? propertiesArb<SubscribeProperties>(o, SUBSCRIBE_PROPERTIES, 'subscribe')
              : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((s) => compact({ type: 'subscribe' as const, ...s }));
    }
    case 'suback': {
      const codes: readonly number[] = v5 ? REASON_CODES.suback : V4_SUBACK_CODES;
      return fc
        .record(
          {
            packetId: packetIdArb,
            reasonCodes: fc.array(reasonCodeArb(codes), { minLength: 1, maxLength: o.maxItems }),
            properties: v5 ? propertiesArb<AckProperties>(o, ACK_PROPERTIES) : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((s) => compact({ type: 'suback' as const, ...s }));
    }
    case 'unsubscribe':
      return fc
        .record(
          {
            packetId: packetIdArb,
            topics: fc.array(topicFilterArb(o), { minLength: 1, maxLength: o.maxItems }),
            properties: v5 ? propertiesArb<UnsubscribeProperties>(o, UNSUBSCRIBE_PROPERTIES) : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((u) => compact({ type: 'unsubscribe' as const, ...u }));
    case 'unsuback':
      return fc
        .record(
          {
            packetId: packetIdArb,
            reasonCodes: v5
              ? fc.array(reasonCodeArb(REASON_CODES.unsuback), { minLength: 1, maxLength: o.maxItems })
              : fc.constant(undefined),
            properties: v5 ? propertiesArb<AckProperties>(o, ACK_PROPERTIES) : fc.constant(undefined),
          },
          PLAIN,
        )
        .map((u) => compact({ type: 'unsuback' as const, ...u }));
    case 'pingreq':
      return fc.constant({ type: 'pingreq' as const });
    case 'pingresp':
      return fc.constant({ type: 'pingresp' as const });
    case 'disconnect':
      if (!v5) return fc.constant({ type: 'disconnect' as const });
      return fc
        .record(
          {
            reasonCode: reasonCodeArb(REASON_CODES.disconnect),
            properties: propertiesArb<DisconnectProperties>(o, DISCONNECT_PROPERTIES),
          },
          PLAIN,
        )
        .map((d) => compact({ type: 'disconnect' as const, ...d }));
    case 'auth':
      if (!v5) throw new Error('AUTH exists only in MQTT 5.0');
      return fc
        .record(
          {
            reasonCode: reasonCodeArb(REASON_CODES.auth),
            properties: propertiesArb<AuthProperties>(o, AUTH_PROPERTIES),
          },
          PLAIN,
        )
        .map((a) => compact({ type: 'auth' as const, ...a }));
  }
}

/** Any valid packet for `version`. CONNECT is included (its level equals `version`). */
export function packetArb(version: ProtocolVersion, options?: ArbOptions): fc.Arbitrary<Packet> {
  return fc.oneof(...typesFor(version).map((t) => packetOfTypeArb(t, version, options)));
}

/** A valid PUBLISH for `version`. */
export function publishArb(
  version: ProtocolVersion,
  options?: ArbOptions,
): fc.Arbitrary<Extract<Packet, { type: 'publish' }>> {
  return packetOfTypeArb('publish', version, options) as fc.Arbitrary<Extract<Packet, { type: 'publish' }>>;
}

/** A version and a packet valid for it. */
export const versionedPacketArb: fc.Arbitrary<{ version: ProtocolVersion; packet: Packet }> = fc
  .constantFrom<ProtocolVersion>(3, 4, 5)
  .chain((version) => packetArb(version).map((packet) => ({ version, packet })));
