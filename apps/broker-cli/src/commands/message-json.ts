/**
 * `%j` and `%J` of `midge sub -F`: the message as one JSON object, with mosquitto_sub's keys in its order:
 * `tst`, `topic`, `qos`, `retain` (0/1), `payloadlen`, `mid` (QoS 1/2), `properties` (MQTT 5, when the
 * message has any), then `payload`. `%j` quotes the payload as a string; `%J` embeds it as JSON and fails
 * (returns undefined) if it is not JSON.
 *
 * One difference on purpose: a payload that is not valid UTF-8 is given as hex under `payloadhex` by `%j`,
 * where mosquitto_sub writes its raw bytes into the string (and cuts it at the first NUL byte), which is
 * not JSON any more.
 */
import type { ClientMessage } from '@midge/mqtt-core/client';
import { fromParsed, object, printJson, type Json } from './cjson.js';
import { jsonTime, type Instant } from './format-time.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function validUtf8(payload: Buffer): string | undefined {
  try {
    return UTF8.decode(payload);
  } catch {
    return undefined;
  }
}

/** The MQTT 5 properties mosquitto_sub puts under `properties`, in its order and with its names. */
function properties(m: ClientMessage): (readonly [string, Json])[] {
  const p = m.properties;
  if (p === undefined) return [];
  const out: (readonly [string, Json])[] = [];
  if (p.payloadFormatIndicator !== undefined) out.push(['payload-format-indicator', p.payloadFormatIndicator ? 1 : 0]);
  if (p.messageExpiryInterval !== undefined) out.push(['message-expiry-interval', p.messageExpiryInterval]);
  if (p.contentType !== undefined) out.push(['content-type', p.contentType]);
  if (p.responseTopic !== undefined) out.push(['response-topic', p.responseTopic]);
  if (p.correlationData !== undefined) out.push(['correlation-data', p.correlationData.toString('utf8')]);
  for (const id of p.subscriptionIdentifier ?? []) out.push(['subscription-identifier', id]);
  if (p.userProperties !== undefined && p.userProperties.length > 0)
    out.push(['user-properties', object(p.userProperties.map(([k, v]) => [k, v] as const))]);
  return out;
}

/** `%j` (payload quoted) or `%J` (payload as JSON: undefined when it is not JSON). */
export function messageJson(
  m: ClientMessage,
  at: Instant,
  options: { embed: boolean; pretty: boolean },
): string | undefined {
  let payload: readonly [string, Json];
  const text = validUtf8(m.payload);
  if (options.embed) {
    if (text === undefined) return undefined;
    try {
      payload = ['payload', fromParsed(JSON.parse(text))];
    } catch {
      return undefined;
    }
  } else payload = text !== undefined ? ['payload', text] : ['payloadhex', m.payload.toString('hex')];
  const props = properties(m);
  return printJson(
    object([
      ['tst', jsonTime(at)],
      ['topic', m.topic],
      ['qos', m.qos],
      ['retain', m.retain ? 1 : 0],
      ['payloadlen', m.payload.length],
      ...(m.qos > 0 && m.packetId !== undefined ? [['mid', m.packetId] as const] : []),
      ...(props.length > 0 ? [['properties', object(props)] as const] : []),
      payload,
    ]),
    options.pretty,
  );
}
