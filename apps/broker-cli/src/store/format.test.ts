import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatExpiryInterval, formatTable, formatTime, printable } from './format.js';

describe('store value formats', () => {
  it('sizes in binary units', () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 * 1024, 3 * 1024 ** 4].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '5.0 MiB',
      '3.0 TiB',
    ]);
  });

  it('durations as their two largest units', () => {
    expect([0, 59, 60, 3600, 5400, 86_400, 90_061, 3 * 86_400 + 59].map(formatDuration)).toEqual([
      '0s',
      '59s',
      '1m',
      '1h',
      '1h 30m',
      '1d',
      '1d 1h',
      '3d',
    ]);
  });

  it('session expiry intervals: absent is the broker default, 0xFFFFFFFF never', () => {
    expect([undefined, 0xffffffff, 120].map(formatExpiryInterval)).toEqual(['default', 'never', '2m']);
  });

  it('times in UTC with their distance from now', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(formatTime(now + 90_000, now)).toBe('2026-01-01 00:01:30Z (in 1m 30s)');
    expect(formatTime(now - 7_200_000, now)).toBe('2025-12-31 22:00:00Z (2h ago)');
    expect(formatTime(now, now)).toBe('2026-01-01 00:00:00Z (now)');
  });

  it('escapes control characters, so a client id cannot forge terminal output', () => {
    expect(printable('a\u001b[2Jb\r\nc\u0085')).toBe('a\\u001b[2Jb\\u000d\\u000ac\\u0085');
    expect(printable('sensors/küche/°C')).toBe('sensors/küche/°C');
  });

  it('tables: columns two spaces apart, numbers right-aligned, no trailing spaces', () => {
    expect(
      formatTable(
        [{ title: 'NAME' }, { title: 'N', right: true }, { title: 'NOTE' }],
        [
          ['a', '1', ''],
          ['long name', '1,000', 'x'],
        ],
      ),
    ).toBe('NAME           N  NOTE\na              1\nlong name  1,000  x');
  });
});
