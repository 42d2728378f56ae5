import { parseEvents } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { formatPath } from './issues.js';
import { yamlPositions } from './positions.js';

const at = (text: string, path: string) => yamlPositions(text, parseEvents(text, {})).locate(path);

describe('yamlPositions', () => {
  const text = [
    'max_packet_size: 10', // 1
    'listeners:', // 2
    '  default:', // 3
    "    bind: ':1883'", // 4
    'plugins:', // 5
    "  '@midge/plugin-auth-file':", // 6
    '    password_file: users.txt', // 7
    '  "@midge/plugin-topic-acl":', // 8
    '    publish_acl:', // 9
    '      alice: [a/#, b]', // 10
    '      bob:', // 11
    '        - c', // 12
    '        - &x d', // 13
    '',
  ].join('\n');

  test('a mapping entry is where its key is written, quoted keys at their opening quote', () => {
    expect(at(text, 'max_packet_size')).toEqual({ line: 1, column: 1 });
    expect(at(text, 'listeners.default.bind')).toEqual({ line: 4, column: 5 });
    expect(at(text, "plugins.'@midge/plugin-auth-file'")).toEqual({ line: 6, column: 3 });
    expect(at(text, "plugins.'@midge/plugin-topic-acl'")).toEqual({ line: 8, column: 3 });
    expect(at(text, "plugins.'@midge/plugin-auth-file'.password_file")).toEqual({ line: 7, column: 5 });
  });

  test('list items, in flow and block style, anchors included', () => {
    expect(at(text, "plugins.'@midge/plugin-topic-acl'.publish_acl.alice[1]")).toEqual({ line: 10, column: 20 });
    expect(at(text, "plugins.'@midge/plugin-topic-acl'.publish_acl.bob[0]")).toEqual({ line: 12, column: 11 });
    expect(at(text, "plugins.'@midge/plugin-topic-acl'.publish_acl.bob[1]")).toEqual({ line: 13, column: 11 });
  });

  test('a path not in the file is reported at its closest written ancestor', () => {
    expect(at(text, "plugins.'@midge/plugin-auth-file'.passwd")).toEqual({ line: 6, column: 3 });
    expect(at(text, 'listeners.default.type')).toEqual({ line: 3, column: 3 });
    expect(at(text, 'persistence')).toBeUndefined();
    expect(at(text, 'not a path [')).toBeUndefined();
  });

  test('renames point translated paths at what was written', () => {
    const yaml = 'auth:\n  password-file: users.txt\n';
    const positions = yamlPositions(yaml, parseEvents(yaml, {})).withRenames(
      new Map([[formatPath(['plugins', '@midge/plugin-auth-file', 'password_file']), ['auth', 'password-file']]]),
    );
    expect(positions.locate("plugins.'@midge/plugin-auth-file'.password_file")).toEqual({ line: 2, column: 3 });
    expect(positions.locate("plugins.'@midge/plugin-auth-file'.password_file[0]")).toEqual({ line: 2, column: 3 });
  });

  test('annotate adds the position once and leaves unknown paths alone', () => {
    const positions = yamlPositions(text, parseEvents(text, {}));
    expect(positions.annotate({ path: 'max_packet_size', message: 'm' })).toEqual({
      path: 'max_packet_size',
      message: 'm',
      line: 1,
      column: 1,
    });
    const given = { path: 'max_packet_size', message: 'm', line: 9, column: 9 };
    expect(positions.annotate(given)).toBe(given);
    expect(positions.annotate({ path: 'persistence', message: 'm' })).toEqual({ path: 'persistence', message: 'm' });
  });

  test('keys inside a collection used as a key, and later documents, get no position', () => {
    const yaml = '? [a, b]\n: 1\nc: 2\n---\nd: 3\n';
    const positions = yamlPositions(yaml, parseEvents(yaml, {}));
    expect(positions.locate('c')).toEqual({ line: 3, column: 1 });
    expect(positions.locate('d')).toBeUndefined();
    expect(positions.locate('a')).toBeUndefined();
  });
});
