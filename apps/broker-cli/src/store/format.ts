/** How `midge store inspect` writes values for people: sizes, durations, times, names, tables. */

/** v5's "the session does not expire" (Session Expiry Interval 0xFFFFFFFF). */
export const NEVER_EXPIRES = 0xffff_ffff;

export function formatCount(n: number): string {
  return n.toLocaleString('en');
}

/** Bytes in binary units, one decimal from KiB on: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TiB'}`;
}

/** Seconds as the two largest units: `45s`, `30m`, `1h 30m`, `2d 4h`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}

/** A session expiry interval: absent means the broker's `session_expiry_interval`. */
export function formatExpiryInterval(seconds: number | undefined): string {
  if (seconds === undefined) return 'default';
  if (seconds >= NEVER_EXPIRES) return 'never';
  return formatDuration(seconds);
}

/** An instant in UTC to the second, with how far it is from `now`: `2026-12-04 20:30:12Z (5m ago)`. */
export function formatTime(ms: number, now: number): string {
  const at = new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const delta = (ms - now) / 1000;
  if (Math.abs(delta) < 1) return `${at} (now)`;
  return delta > 0 ? `${at} (in ${formatDuration(delta)})` : `${at} (${formatDuration(-delta)} ago)`;
}

/**
 * A client id or topic as it may be shown on a terminal: MQTT allows control characters in them, which could
 * move the cursor or forge lines; they are written as `\uXXXX` escapes.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface Column {
  readonly title: string;
  /** Numbers are right-aligned. */
  readonly right?: boolean;
}

/** Rows under a header line, columns two spaces apart; the last column is not padded. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        if (c.right === true) return cell.padStart(width);
        return i === columns.length - 1 ? cell : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n');
}
