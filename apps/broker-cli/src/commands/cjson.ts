/**
 * JSON text as cJSON (the library mosquitto_sub prints `%j` and `%J` with) writes it, so `midge sub -F %j`
 * prints what mosquitto_sub prints: minified, or with `--pretty` cJSON_Print's layout (tab indents, a tab
 * after each key's colon, arrays on one line with ", "), and numbers as cJSON formats them (C's %1.15g).
 */

/** A JSON object that may hold one key several times (MQTT user properties may repeat a name). */
export interface JsonObject {
  readonly entries: readonly (readonly [string, Json])[];
}

export type Json = null | boolean | number | string | readonly Json[] | JsonObject;

export function object(entries: readonly (readonly [string, Json])[]): JsonObject {
  return { entries };
}

/** A value from JSON.parse, as a Json tree. */
export function fromParsed(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string')
    return value;
  if (Array.isArray(value)) return value.map(fromParsed);
  return object(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromParsed(v)] as const));
}

export function printJson(value: Json, pretty: boolean): string {
  return print(value, pretty, 0);
}

function print(value: Json, pretty: boolean, depth: number): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return cNumber(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (isArray(value)) return `[${value.map((v) => print(v, pretty, depth + 1)).join(pretty ? ', ' : ',')}]`;
  const members = value.entries.map(
    ([k, v]) => `${JSON.stringify(k)}:${pretty ? '\t' : ''}${print(v, pretty, depth + 1)}`,
  );
  if (!pretty) return `{${members.join(',')}}`;
  const inner = '\t'.repeat(depth + 1);
  const body = members.map((m) => `${inner}${m}`).join(',\n');
  return `{\n${body}${body === '' ? '' : '\n'}${'\t'.repeat(depth)}}`;
}

function isArray(value: Json): value is readonly Json[] {
  return Array.isArray(value);
}

/**
 * cJSON's print_number: C's %1.15g, or %1.17g when reading the short form back is not within one
 * DBL_EPSILON of the number (its compare_double), so 0.1 + 0.2 prints 0.3 and 1 / 3 prints 17 digits.
 */
export function cNumber(d: number): string {
  if (!Number.isFinite(d)) return 'null';
  if (Object.is(d, -0)) return '-0';
  const short = gFormat(d, 15);
  const back = Number(short);
  const max = Math.max(Math.abs(back), Math.abs(d));
  return Math.abs(back - d) <= max * Number.EPSILON ? short : gFormat(d, 17);
}

/** C's printf %.{precision}g. */
function gFormat(d: number, precision: number): string {
  const [mantissa = '', exp = '0'] = d.toExponential(precision - 1).split('e');
  const x = Number(exp);
  if (x >= -4 && x < precision) return stripZeros(d.toFixed(precision - 1 - x));
  const digits = String(Math.abs(x)).padStart(2, '0');
  return `${stripZeros(mantissa)}e${x < 0 ? '-' : '+'}${digits}`;
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
