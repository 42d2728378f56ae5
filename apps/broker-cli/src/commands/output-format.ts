/**
 * `midge sub -F FORMAT`: each message printed through a format string with mosquitto_sub's sequences, so a
 * format written for mosquitto_sub prints the same bytes here (a test runs both on one message).
 *
 *   %t topic  %p payload  %q QoS  %r retain (0/1)  %l payload length  %m message id (0 at QoS 0)
 *   %x / %X payload in lower / upper-case hex  %j message as JSON  %J the same with the payload embedded
 *   as JSON  %I ISO 8601 local time  %U Unix time with nanoseconds  %% a percent sign
 *   MQTT 5: %A topic alias  %C content type  %D correlation data  %E message expiry interval
 *   %F payload format indicator  %P user properties (name:value, space-separated)  %R response topic
 *   %S subscription identifier
 *   @X strftime's %X in local time (@Y @m @d @H @M @S @s @z @F @T ...), @N nanoseconds, @@ an at sign
 *   \n \t \a \e \0 \\ escapes
 *
 * Between % and the letter, as mosquitto_sub: one flag (`-` left-align, `0` zero-pad the numbers, %x/%X
 * and %p), a minimum width, and `.N` a maximum width for %C %I %R %t. A format with an unknown sequence is
 * refused when read, with mosquitto_sub's words. Known differences: a width on %x/%X pads without
 * cutting the payload (mosquitto_sub 2.0 prints only half of it); %j gives a non-UTF-8 payload as hex.
 */
import type { ClientMessage } from '@midge/mqtt-core/client';
import { UsageError } from '../args.js';
import { instantOf, isoTime, TIME_LETTERS, timeToken, unixTime, type Instant } from './format-time.js';
import { messageJson } from './message-json.js';

/** What a message makes of one `%` sequence; `undefined` is an absent MQTT 5 property. */
type Field = (m: ClientMessage, at: Instant, ctx: RenderContext) => string | Buffer | undefined;

interface Spec {
  readonly field: Field;
  /** Whether a width applies (mosquitto_sub ignores it on %q %r %j %J %U %P). */
  readonly width: boolean;
  /** Whether `.N` cuts the value. */
  readonly precision: boolean;
  /** Whether the width is a maximum too (%p: mosquitto_sub prints at most that many bytes). */
  readonly cutAtWidth: boolean;
  /** Whether the `0` flag pads with zeros (numbers, hex, payload) rather than blanks. */
  readonly zero: boolean;
  /** Whether an absent property still prints its padding (mosquitto_sub's behaviour, letter by letter). */
  readonly padAbsent: boolean;
}

export interface RenderContext {
  readonly pretty: boolean;
  /** Told of a %J payload that is not JSON (mosquitto_sub prints an error and leaves %J empty). */
  readonly onInvalidJson: (topic: string) => void;
}

const num = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));

function spec(field: Field, options: Partial<Omit<Spec, 'field'>> = {}): Spec {
  return { field, width: true, precision: false, cutAtWidth: false, zero: false, padAbsent: true, ...options };
}

const SPECS: Readonly<Record<string, Spec>> = {
  t: spec((m) => m.topic, { precision: true }),
  p: spec((m) => m.payload, { zero: true, cutAtWidth: true }),
  q: spec((m) => String(m.qos), { width: false }),
  r: spec((m) => (m.retain ? '1' : '0'), { width: false }),
  l: spec((m) => String(m.payload.length), { zero: true }),
  m: spec((m) => String(m.packetId ?? 0), { zero: true }),
  x: spec((m) => m.payload.toString('hex'), { zero: true }),
  X: spec((m) => m.payload.toString('hex').toUpperCase(), { zero: true }),
  I: spec((_m, at) => isoTime(at), { precision: true }),
  U: spec((_m, at) => unixTime(at), { width: false }),
  j: spec((m, at, ctx) => messageJson(m, at, { embed: false, pretty: ctx.pretty }), { width: false }),
  J: spec(
    (m, at, ctx) => {
      const json = messageJson(m, at, { embed: true, pretty: ctx.pretty });
      if (json === undefined) ctx.onInvalidJson(m.topic);
      return json ?? '';
    },
    { width: false },
  ),
  A: spec((m) => num(m.properties?.topicAlias), { zero: true }),
  C: spec((m) => m.properties?.contentType, { precision: true }),
  D: spec((m) => m.properties?.correlationData, { padAbsent: false }),
  E: spec((m) => num(m.properties?.messageExpiryInterval), { zero: true, padAbsent: false }),
  F: spec(
    (m) => {
      const f = m.properties?.payloadFormatIndicator;
      return f === undefined ? undefined : f ? '1' : '0';
    },
    { zero: true },
  ),
  P: spec((m) => m.properties?.userProperties?.map(([k, v]) => `${k}:${v}`).join(' '), { width: false }),
  R: spec((m) => m.properties?.responseTopic, { precision: true, padAbsent: false }),
  S: spec((m) => num(m.properties?.subscriptionIdentifier?.[0]), { zero: true }),
  '%': spec(() => '%', { width: false }),
};

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', a: '\x07', e: '\x1b', '0': '\0', '\\': '\\' };

type Part = Buffer | ((m: ClientMessage, at: Instant, ctx: RenderContext) => Buffer);

/** A format read once, printed for each message. */
export interface CompiledFormat {
  render(m: ClientMessage, at?: Instant, ctx?: RenderContext): Buffer;
}

const QUIET_CONTEXT: RenderContext = { pretty: false, onInvalidJson: () => undefined };

/** Reads FORMAT; throws a UsageError for a sequence mosquitto_sub would refuse or midge does not know. */
export function compileFormat(format: string): CompiledFormat {
  const parts: Part[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') parts.push(Buffer.from(text));
    text = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string;
    if (c === '%') {
      const m = /^%([-0]?)(\d*)(?:\.(\d*))?(.?)/s.exec(format.slice(i)) as RegExpExecArray;
      const [whole, flag = '', width = '', precision, letter = ''] = m;
      if (letter === '') throw new UsageError('-F: incomplete format specifier (a % at the end)');
      const s = Object.hasOwn(SPECS, letter) ? SPECS[letter] : undefined;
      if (s === undefined)
        throw new UsageError(
          `-F: invalid format specifier '${letter}' (known: %${Object.keys(SPECS).join(' %')}; see 'midge sub --help')`,
        );
      flush();
      parts.push(
        padded(s, flag, width === '' ? 0 : Number(width), precision === undefined ? undefined : Number(precision)),
      );
      i += whole.length - 1;
    } else if (c === '@') {
      const letter = format[i + 1];
      if (letter === undefined) throw new UsageError('-F: incomplete format specifier (an @ at the end)');
      const token = timeToken(letter);
      if (token === undefined)
        throw new UsageError(`-F: unsupported time specifier '@${letter}' (known: @${TIME_LETTERS.join(' @')} @@)`);
      flush();
      parts.push((_m, at) => Buffer.from(token(at)));
      i++;
    } else if (c === '\\') {
      const letter = format[i + 1];
      if (letter === undefined) throw new UsageError('-F: incomplete escape specifier (a \\ at the end)');
      const escaped = Object.hasOwn(ESCAPES, letter) ? ESCAPES[letter] : undefined;
      if (escaped === undefined)
        throw new UsageError(`-F: invalid escape specifier '\\${letter}' (known: \\n \\t \\a \\e \\0 \\\\)`);
      text += escaped;
      i++;
    } else text += c;
  }
  flush();
  return {
    render: (m, at = instantOf(new Date()), ctx = QUIET_CONTEXT) =>
      Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : p(m, at, ctx)))),
  };
}

/** One `%` sequence with its flag, width and precision applied, as mosquitto_sub applies them. */
function padded(s: Spec, flag: string, width: number, precision: number | undefined): Part {
  return (m, at, ctx) => {
    const raw = s.field(m, at, ctx);
    if (raw === undefined && !s.padAbsent) return EMPTY;
    let value = raw === undefined ? EMPTY : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (s.precision && precision !== undefined && value.length > precision) value = value.subarray(0, precision);
    if (!s.width || width === 0) return value;
    if (s.cutAtWidth && value.length > width) value = value.subarray(0, width);
    if (value.length >= width) return value;
    const fill = Buffer.alloc(width - value.length, flag === '0' && s.zero ? '0' : ' ');
    return flag === '-' ? Buffer.concat([value, fill]) : Buffer.concat([fill, value]);
  };
}

const EMPTY = Buffer.alloc(0);

/** The bytes `format` makes of message `m` received at `at` (a format read for one message). */
export function formatMessage(format: string, m: ClientMessage, at: Date = new Date()): Buffer {
  return compileFormat(format).render(m, instantOf(at));
}
