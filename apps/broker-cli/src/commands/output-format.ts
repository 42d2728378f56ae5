/**
 * `midge sub -F FORMAT`: each message printed through a format string, with mosquitto_sub's tokens, so a
 * format written for mosquitto_sub prints the same here:
 *
 *   %t topic   %p payload   %q QoS   %r retain flag (0/1)   %l payload length in bytes
 *   %x payload as lower-case hex   %X upper-case hex   %j the message as JSON   %I ISO 8601 time (UTC)
 *   %U Unix time in seconds with nanoseconds   %%  a percent sign
 *   \n newline   \t tab   \\ backslash   \0 a NUL byte (any other escape is printed as is)
 *
 * `%j` is `{"tst":...,"topic":...,"qos":...,"retain":0|1,"payloadlen":...,"payload":...}` (payload as a
 * string when it is valid UTF-8, else as hex under `payloadhex`). Unknown `%` tokens are printed as is.
 * As mosquitto_sub does, `sub` adds a newline after each formatted message unless -N is given.
 */
import type { ClientMessage } from '@midge/mqtt-core/client';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** mosquitto_sub's %I: 2026-12-05T02:29:43+0000 (seconds, the zone as +hhmm). */
function isoTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}+0000`;
}

/** mosquitto_sub's %j `tst`: microseconds and the zone. */
function jsonTime(at: Date): string {
  return `${at.toISOString().slice(0, 23)}000Z+0000`;
}

function validUtf8(payload: Buffer): string | undefined {
  try {
    return UTF8.decode(payload);
  } catch {
    return undefined;
  }
}

export function messageJson(m: ClientMessage, at: Date): string {
  const text = validUtf8(m.payload);
  return JSON.stringify({
    tst: jsonTime(at),
    topic: m.topic,
    qos: m.qos,
    retain: m.retain ? 1 : 0,
    payloadlen: m.payload.length,
    ...(text !== undefined ? { payload: text } : { payloadhex: m.payload.toString('hex') }),
  });
}

/** The bytes `format` makes of message `m` received at `at`. */
export function formatMessage(format: string, m: ClientMessage, at: Date = new Date()): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') parts.push(Buffer.from(text));
    text = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    const next = format[i + 1];
    if (c === '%' && next !== undefined) {
      i++;
      switch (next) {
        case 't':
          text += m.topic;
          break;
        case 'p':
          flush();
          parts.push(m.payload);
          break;
        case 'q':
          text += String(m.qos);
          break;
        case 'r':
          text += m.retain ? '1' : '0';
          break;
        case 'l':
          text += String(m.payload.length);
          break;
        case 'x':
          text += m.payload.toString('hex');
          break;
        case 'X':
          text += m.payload.toString('hex').toUpperCase();
          break;
        case 'j':
          text += messageJson(m, at);
          break;
        case 'I':
          text += isoTime(at);
          break;
        case 'U':
          text += `${Math.floor(at.getTime() / 1000)}.${String((at.getTime() % 1000) * 1_000_000).padStart(9, '0')}`;
          break;
        case '%':
          text += '%';
          break;
        default:
          text += `%${next}`;
      }
    } else if (c === '\\' && next !== undefined) {
      i++;
      text += next === 'n' ? '\n' : next === 't' ? '\t' : next === '\\' ? '\\' : next === '0' ? '\0' : `\\${next}`;
    } else {
      text += c;
    }
  }
  flush();
  return Buffer.concat(parts);
}
