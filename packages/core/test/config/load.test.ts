import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, parseConfigYaml } from '../../src/config/load.js';
import { ConfigError, formatConfigIssues } from '../../src/errors.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadConfig from a file', () => {
  test('config_file and config_dir are absolute; relative TLS paths start at the config folder', async () => {
    await mkdir(join(dir, 'tls'), { recursive: true });
    await writeFile(join(dir, 'tls', 'cert.pem'), 'x');
    await writeFile(join(dir, 'tls', 'key.pem'), 'x');
    const file = await write(
      'tls.yaml',
      `listeners:
  default:
    bind: 127.0.0.1:0
    ssl: on
    certfile: tls/cert.pem
    keyfile: tls/key.pem
plugins: {}
`,
    );
    const { config, deprecations } = await loadConfig(file);
    expect(deprecations).toEqual([]);
    expect(config.config_file).toBe(file);
    expect(config.config_dir).toBe(dir);
    expect(config.listeners.default).toMatchObject({
      ssl: true,
      certfile: join(dir, 'tls', 'cert.pem'),
      keyfile: join(dir, 'tls', 'key.pem'),
    });
    expect(config.plugins).toEqual([]);
  });

  test('a missing file is a ConfigError with the path and the OS reason', async () => {
    const file = join(dir, 'nope.yaml');
    const err = await failure(loadConfig(file));
    expect(err.file).toBe(file);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(`${file}: (root): cannot read the config file: ENOENT: no such file or directory`);
  });

  test('a folder instead of a file is a ConfigError too', async () => {
    const err = await failure(loadConfig(dir));
    expect(err.message).toBe(`${dir}: (root): cannot read the config file: EISDIR: illegal operation on a directory`);
  });

  test('a YAML syntax error gives the line and column', async () => {
    const file = await write('syntax.yaml', 'listeners:\n  default:\n    bind: [0.0.0.0:1883\nplugins: {}\n');
    const err = await failure(loadConfig(file));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ path: '', line: 4 });
    expect(err.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: YAML syntax error: `),
    );
  });

  test('duplicate keys are a YAML error with their line', async () => {
    const file = await write('dup.yaml', 'log_level: info\nplugins: {}\nlog_level: debug\n');
    const err = await failure(loadConfig(file));
    expect(err.message).toContain(`${file}:3:1: YAML syntax error: duplicated mapping key`);
  });

  test('every problem at once: 4 mistakes → 4 issues with paths, one `file:line:col: path: message` line each', async () => {
    const file = await write(
      'four.yaml',
      `listeners:
  default:
    bind: 0.0.0.0:70000
    typ: tcp
max_packet_size: big
log_level: loud
plugins: {}
`,
    );
    const err = await failure(loadConfig(file));
    expect(err.issues.map((i) => i.path)).toEqual([
      'listeners.default.bind',
      'listeners.default.typ',
      'max_packet_size',
      'log_level',
    ]);
    expect(err.message.split('\n')).toEqual([
      `${file}:3:5: listeners.default.bind: port must be a number from 0 to 65535, got "70000"`,
      `${file}:4:5: listeners.default.typ: unknown key 'typ' (did you mean 'type'?)`,
      `${file}:5:1: max_packet_size: expected an integer from 2 to 268435460, got "big"`,
      `${file}:6:1: log_level: expected 'trace', 'debug', 'info', 'warn', 'error', 'fatal' or 'silent', got "loud"`,
    ]);
  });

  test('a missing key is reported where its mapping is; a translated key where it was written', async () => {
    const file = await write(
      'amqtt.yaml',
      `listeners:
  default:
    bind: ':1883'
  secure:
    ssl: true
    max-connections: lots
auth:
  plugins: [auth_file]
  password-file: 5
topic-check:
  enabled: true
  plugins: [topic_acl]
  acl: 7
`,
    );
    const err = await failure(loadConfig(file));
    const where = Object.fromEntries(err.issues.map((i) => [i.path, `${i.line}:${i.column}`]));
    expect(where).toMatchObject({
      // Not in the file: the listener's own line.
      'listeners.secure.certfile': '4:3',
      // Spelt max-connections in the file.
      'listeners.secure.max_connections': '6:5',
      'auth.password-file': '9:3',
    });
    expect(err.message).toContain(`${file}:9:3: auth.password-file: expected a file path, got 5`);
  });

  test('a value set by an override has no position in the file', async () => {
    const file = await write('flags.yaml', 'listeners:\n  default:\n    bind: 127.0.0.1:1883\nlog_level: info\n');
    const err = await failure(
      loadConfig(file, { overrides: { listeners: { default: { bind: 'nowhere' } }, log_level: 'loud' as 'info' } }),
    );
    expect(err.issues.map((i) => [i.path, i.line])).toEqual([
      ['listeners.default.bind', undefined],
      ['log_level', undefined],
    ]);
  });

  test('deprecations carry their line and column', async () => {
    const file = await write('dep.yaml', 'plugins:\n  auth_anonymous:\n    allow-anonymous: true\n');
    const { deprecations } = await loadConfig(file);
    expect(deprecations.map((d) => `${d.line}:${d.column} ${d.path}`)).toEqual([
      '2:3 plugins.auth_anonymous',
      '3:5 plugins.auth_anonymous.allow-anonymous',
    ]);
  });

  test('translation issues, schema issues and listener issues are reported together', async () => {
    const err = await failure(
      loadConfig({
        listeners: { default: { bind: ':1883', cadata: 'x' }, other: { ssl: true } },
        connect_timeout: 0,
        plugins: { auth_anonymous: null, '@midge/plugin-auth-anonymous': null },
      }),
    );
    expect(err.issues.map((i) => i.path)).toEqual([
      'listeners.default.cadata',
      "plugins.'@midge/plugin-auth-anonymous'",
      'connect_timeout',
      'listeners.other.certfile',
      'listeners.other.keyfile',
      'listeners.other.bind',
    ]);
    expect(err.file).toBeUndefined();
    expect(err.message.split('\n')[0]).toMatch(/^<config>: listeners\.default\.cadata: /);
  });

  test('an empty file is the default config', async () => {
    const file = await write('empty.yaml', '# nothing here\n');
    const { config } = await loadConfig(file);
    expect(config.plugins).toHaveLength(4);
    expect(Object.keys(config.listeners)).toEqual(['default']);
  });

  test('deprecations can be printed with formatConfigIssues', async () => {
    const file = await write('old.yaml', 'timeout-disconnect-delay: 1\nplugins: {}\n');
    const { deprecations } = await loadConfig(file);
    expect(formatConfigIssues(deprecations, file)).toBe(
      `${file}:1:1: timeout-disconnect-delay: 'timeout-disconnect-delay' is deprecated: use 'timeout_disconnect_delay'`,
    );
  });
});

describe('parseConfigYaml', () => {
  test('parses a mapping', () => {
    expect(parseConfigYaml('a: 1\nb: [x]\n')).toEqual({ a: 1, b: ['x'] });
  });

  test('YAML 1.2: on/yes stay strings, True/False are booleans', () => {
    expect(parseConfigYaml('a: on\nb: yes\nc: False\n')).toEqual({ a: 'on', b: 'yes', c: false });
  });

  test('YAML merge keys work, as in PyYAML', () => {
    const yaml = 'base: &base\n  type: ws\n  max_connections: 5\nother:\n  <<: *base\n  bind: ":1"\n';
    expect(parseConfigYaml(yaml).other).toEqual({ type: 'ws', max_connections: 5, bind: ':1' });
  });

  test('a top level that is not a mapping is an error', () => {
    expect(() => parseConfigYaml('- a\n- b\n', 'x.yaml')).toThrow(
      'x.yaml: (root): expected a mapping of settings, got a list',
    );
  });

  test('several documents are an error', () => {
    expect(() => parseConfigYaml('a: 1\n---\nb: 2\n')).toThrow(
      "expected one YAML document, found 2 (remove the extra '---')",
    );
  });

  test('syntax errors name the file and position', () => {
    const err = (() => {
      try {
        parseConfigYaml('a: b\n  c: d\n', 'cfg.yaml');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('cfg.yaml:2:4: YAML syntax error: bad indentation of a mapping entry');
  });
});

describe('in-memory configs and overrides', () => {
  test('configDir sets the folder relative paths start from', async () => {
    const { config } = await loadConfig({ plugins: {} }, { configDir: dir });
    expect(config.config_dir).toBe(dir);
  });

  test('overrides replace top-level keys and merge listeners key by key', async () => {
    const { config } = await loadConfig(
      { listeners: { default: { bind: ':1883', max_connections: 5 } }, log_level: 'info', plugins: { a: null } },
      { overrides: { log_level: 'debug', listeners: { default: { bind: '127.0.0.1:0' } }, plugins: { b: { x: 1 } } } },
    );
    expect(config.log_level).toBe('debug');
    expect(config.listeners.default).toMatchObject({ bind: '127.0.0.1:0', port: 0, max_connections: 5 });
    expect(config.plugins.map((p) => p.key)).toEqual(['a', 'b']);
  });

  test('overrides are validated like the file', async () => {
    const err = await failure(loadConfig({ plugins: {} }, { overrides: { max_topic_levels: 0 } }));
    expect(err.message).toBe('<config>: max_topic_levels: expected an integer >= 1, got 0');
  });

  test('the input object is not modified', async () => {
    const input = {
      listeners: { default: { 'max-connections': -1 }, b: { bind: ':2' } },
      plugins: { auth_anonymous: { 'allow-anonymous': 'yes' } },
      sys_interval: 5,
    };
    const copy = structuredClone(input);
    await loadConfig(input);
    expect(input).toEqual(copy);
  });

  test('plugin entries keep order, key and options; null options become {}', async () => {
    const { config } = await loadConfig({ plugins: { './mine.js': null, '@acme/x': { level: 2 } } });
    expect(config.plugins).toEqual([
      { key: './mine.js', specifier: './mine.js', config: {} },
      { key: '@acme/x', specifier: '@acme/x', config: { level: 2 } },
    ]);
  });

  test('plugin options that are not a mapping are an issue', async () => {
    const err = await failure(loadConfig({ plugins: { a: 5, b: [1] } }));
    expect(err.issues).toHaveLength(2);
    expect(err.issues).toEqual(
      expect.arrayContaining([
        { path: 'plugins.a', message: 'expected a mapping of plugin options (or nothing), got 5' },
        { path: 'plugins.b', message: 'expected a mapping of plugin options (or nothing), got a list' },
      ]),
    );
  });

  test('a list where a mapping belongs is reported as such', async () => {
    const err = await failure(loadConfig({ listeners: { default: ['x'] }, plugins: {} }));
    expect(err.issues).toEqual([
      { path: 'listeners.default', message: 'expected a mapping of listener settings, got a list' },
    ]);
    const err2 = await failure(loadConfig({ listeners: ['x'], plugins: {} }));
    expect(err2.issues).toEqual([
      { path: 'listeners', message: 'expected a mapping of listener name to settings, got a list' },
    ]);
  });

  test('plugins that is not a mapping is an issue, and no default plugins are added', async () => {
    const err = await failure(loadConfig({ plugins: 'all' }));
    expect(err.issues).toEqual([
      { path: 'plugins', message: 'expected a mapping of plugin package name to options, got "all"' },
    ]);
  });

  test('limit values: fractions of seconds are fine, fractions of counts are not', async () => {
    const { config } = await loadConfig({ connect_timeout: 0.25, session_expiry_interval: 3600, plugins: {} });
    expect(config.connect_timeout).toBe(0.25);
    const err = await failure(loadConfig({ max_inflight_messages: 1.5, slow_reader_timeout: 1e9, plugins: {} }));
    expect(err.issues).toEqual([
      { path: 'max_inflight_messages', message: 'expected an integer from 1 to 65535, got 1.5' },
      { path: 'slow_reader_timeout', message: 'expected a number of seconds above 0 up to 2147483, got 1000000000' },
    ]);
  });

  test('a non-mapping config is an issue', async () => {
    const err = await failure(loadConfig([1, 2]));
    expect(err.message).toBe('<config>: (root): expected a mapping of settings, got a list');
  });
});
