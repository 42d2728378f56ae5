/**
 * The times `midge sub -F` prints, in local time as mosquitto_sub prints them (it calls localtime and
 * strftime): `%I`, the `tst` of `%j`, `%U`, and the `@X` strftime sequences.
 */

/** A moment with nanoseconds: `Date` alone keeps only milliseconds, and `%U` / `@N` print nanoseconds. */
export interface Instant {
  readonly date: Date;
  /** Nanoseconds within the second, 0..999999999. */
  readonly nanos: number;
}

// Wall clock + monotonic clock: Date.now() has only milliseconds; hrtime gives the nanoseconds since.
const originMs = Date.now();
const originHr = process.hrtime.bigint();

export function now(): Instant {
  const ns = BigInt(originMs) * 1_000_000n + (process.hrtime.bigint() - originHr);
  return { date: new Date(Number(ns / 1_000_000n)), nanos: Number(ns % 1_000_000_000n) };
}

export function instantOf(date: Date): Instant {
  return { date, nanos: (((date.getTime() % 1000) + 1000) % 1000) * 1_000_000 };
}

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

/** strftime's %z: +hhmm east of UTC. */
function zone(d: Date): string {
  const east = -d.getTimezoneOffset();
  const abs = Math.abs(east);
  return `${east < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function ymdhms(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `%I`: 2026-12-05T04:13:29+0100. */
export function isoTime(t: Instant): string {
  return `${ymdhms(t.date)}${zone(t.date)}`;
}

/** The `tst` of `%j`: 2026-12-05T04:13:29.053253Z+0100 (microseconds; mosquitto_sub's "Z" before the zone). */
export function jsonTime(t: Instant): string {
  return `${ymdhms(t.date)}.${pad(Math.floor(t.nanos / 1000), 6)}Z${zone(t.date)}`;
}

/** `%U`: seconds since the epoch, a dot, nanoseconds. */
export function unixTime(t: Instant): string {
  return `${Math.floor(t.date.getTime() / 1000)}.${pad(t.nanos, 9)}`;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return (
    Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86_400_000) + 1
  );
}

/**
 * `@X` of -F: strftime's `%X` in the C locale, plus mosquitto_sub's `@N` (nanoseconds) and `@@`.
 * The letters are those glibc prints the same everywhere; others are refused when the format is read.
 */
const STRFTIME: Readonly<Record<string, (t: Instant) => string>> = {
  a: ({ date }) => (DAYS[date.getDay()] as string).slice(0, 3),
  A: ({ date }) => DAYS[date.getDay()] as string,
  b: ({ date }) => (MONTHS[date.getMonth()] as string).slice(0, 3),
  B: ({ date }) => MONTHS[date.getMonth()] as string,
  d: ({ date }) => pad(date.getDate()),
  e: ({ date }) => pad(date.getDate(), 2, ' '),
  F: ({ date }) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
  H: ({ date }) => pad(date.getHours()),
  I: ({ date }) => pad(date.getHours() % 12 || 12),
  j: ({ date }) => pad(dayOfYear(date), 3),
  k: ({ date }) => pad(date.getHours(), 2, ' '),
  l: ({ date }) => pad(date.getHours() % 12 || 12, 2, ' '),
  m: ({ date }) => pad(date.getMonth() + 1),
  M: ({ date }) => pad(date.getMinutes()),
  n: () => '\n',
  N: ({ nanos }) => pad(nanos, 9),
  p: ({ date }) => (date.getHours() < 12 ? 'AM' : 'PM'),
  s: ({ date }) => String(Math.floor(date.getTime() / 1000)),
  S: ({ date }) => pad(date.getSeconds()),
  t: () => '\t',
  T: ({ date }) => `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
  u: ({ date }) => String(date.getDay() || 7),
  w: ({ date }) => String(date.getDay()),
  y: ({ date }) => pad(date.getFullYear() % 100),
  Y: ({ date }) => String(date.getFullYear()),
  z: ({ date }) => zone(date),
  '@': () => '@',
};

export const TIME_LETTERS = Object.keys(STRFTIME).filter((k) => k !== '@');

/** The printer of `@letter`, or undefined if this letter is not supported. */
export function timeToken(letter: string): ((t: Instant) => string) | undefined {
  return Object.hasOwn(STRFTIME, letter) ? STRFTIME[letter] : undefined;
}
