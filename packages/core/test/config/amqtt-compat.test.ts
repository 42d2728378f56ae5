import { describe, expect, test } from 'vitest';
import { translateAmqtt } from '../../src/config/amqtt-compat.js';
import { loadConfig, parseConfigYaml } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const ANON = '@midge/plugin-auth-anonymous';
const FILE = '@midge/plugin-auth-file';
const TABOO = '@midge/plugin-topic-taboo';
const ACL = '@midge/plugin-topic-acl';
const SYS = '@midge/plugin-sys';
const EVENTS = '@midge/plugin-logging/event-logger';
const PACKETS = '@midge/plugin-logging/packet-logger';

function plugins(yaml: string): unknown {
  const t = translateAmqtt(parseConfigYaml(yaml));
  expect(t.issues).toEqual([]);
  return (t.config as { plugins: unknown }).plugins;
}

function messages(yaml: string): string[] {
  return translateAmqtt(parseConfigYaml(yaml)).deprecations.map((d) => `${d.path}: ${d.message}`);
}

async function issuesOf(config: object): Promise<string[]> {
  const err = await loadConfig(config).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('plugin names', () => {
  test.each([
    ['amqtt.plugins.logging_amqtt.EventLoggerPlugin', EVENTS],
    ['amqtt.plugins.logging_amqtt.PacketLoggerPlugin', PACKETS],
    ['amqtt.plugins.authentication.AnonymousAuthPlugin', ANON],
    ['amqtt.plugins.authentication.FileAuthPlugin', FILE],
    ['amqtt.plugins.topic_checking.TopicTabooPlugin', TABOO],
    ['amqtt.plugins.topic_checking.TopicAccessControlListPlugin', ACL],
    ['amqtt.plugins.sys.broker.BrokerSysPlugin', SYS],
  ])('class name %s → %s', (name, pkg) => {
    const t = translateAmqtt({ plugins: { [name]: null } });
    expect(t.config).toEqual({ plugins: { [pkg]: null } });
    expect(t.deprecations).toEqual([
      { path: `plugins.'${name}'`, message: `'${name}' is aMQTT's class name: use '${pkg}'` },
    ]);
  });

  test.each([
    ['event_logger_plugin', EVENTS],
    ['packet_logger_plugin', PACKETS],
    ['auth_anonymous', ANON],
    ['auth_file', FILE],
    ['topic_taboo', TABOO],
    ['topic_acl', ACL],
    ['broker_sys', SYS],
  ])('entry-point name %s → %s', (name, pkg) => {
    const t = translateAmqtt({ plugins: { [name]: { x: 1 } } });
    expect(t.config).toEqual({ plugins: { [pkg]: { x: 1 } } });
    expect(t.deprecations).toEqual([
      { path: `plugins.${name}`, message: `'${name}' is aMQTT's deprecated entry-point name: use '${pkg}'` },
    ]);
  });

  test('order is kept, other keys pass through untouched', () => {
    const yaml = `
plugins:
  ./local-plugin.js:
  amqtt.plugins.topic_checking.TopicTabooPlugin:
  '@acme/midge-plugin':
    some-option: 1
`;
    expect(plugins(yaml)).toEqual({
      './local-plugin.js': null,
      [TABOO]: null,
      '@acme/midge-plugin': { some_option: 1 },
    });
  });

  test('two names for the same plugin are an issue', () => {
    const t = translateAmqtt({ plugins: { auth_anonymous: null, [ANON]: { allow_anonymous: false } } });
    expect(t.issues).toEqual([
      { path: `plugins.'${ANON}'`, message: `'${ANON}' and 'auth_anonymous' both configure ${ANON}: keep one` },
    ]);
  });

  test("a list of plugins (aMQTT's deprecated form) becomes a mapping", () => {
    const t = translateAmqtt({ plugins: ['auth_file', { auth_anonymous: { allow_anonymous: false } }] });
    expect(t.config).toEqual({ plugins: { [FILE]: null, [ANON]: { allow_anonymous: false } } });
    expect(t.deprecations.at(-1)).toEqual({
      path: 'plugins',
      message: `'plugins' as a list is deprecated: use a mapping of plugin to options, e.g. plugins: { '${FILE}': {}, '${ANON}': { allow_anonymous: false } }`,
    });
  });
});

describe('kebab-case', () => {
  test('top-level and listener keys become snake_case, each with a deprecation at its path', () => {
    const t = translateAmqtt({
      'timeout-disconnect-delay': 5,
      listeners: { default: { 'max-connections': 10, bind: ':1883' } },
      plugins: {},
    });
    expect(t.config).toEqual({
      timeout_disconnect_delay: 5,
      listeners: { default: { max_connections: 10, bind: ':1883' } },
      plugins: {},
    });
    expect(t.deprecations).toEqual([
      {
        path: 'timeout-disconnect-delay',
        message: "'timeout-disconnect-delay' is deprecated: use 'timeout_disconnect_delay'",
      },
      { path: 'listeners.default.max-connections', message: "'max-connections' is deprecated: use 'max_connections'" },
    ]);
  });

  test("only the first level of a plugin's options: ACL user names and plugin keys keep their hyphens", () => {
    const yaml = `
plugins:
  '@midge/plugin-topic-acl':
    publish-acl:
      jean-luc: [ 'a/#' ]
    acl:
      - mary-ann: [ b ]
`;
    expect(plugins(yaml)).toEqual({
      [ACL]: { publish_acl: { 'jean-luc': ['a/#'] }, acl: [{ 'mary-ann': ['b'] }] },
    });
    expect(messages(yaml)).toEqual([`plugins.'${ACL}'.publish-acl: 'publish-acl' is deprecated: use 'publish_acl'`]);
  });

  test('unknown kebab keys stay as written, so the unknown-key error names what the user wrote', async () => {
    expect(await issuesOf({ 'max-packet-sise': 1, plugins: {} })).toEqual([
      "max-packet-sise: unknown key 'max-packet-sise' (did you mean 'max_packet_size'?)",
    ]);
  });

  test('both spellings of one key is an issue', () => {
    const t = translateAmqtt({ listeners: { default: { 'max-connections': 1, max_connections: 2 } }, plugins: {} });
    expect(t.issues).toEqual([
      {
        path: 'listeners.default.max-connections',
        message: "'max-connections' and 'max_connections' are the same setting: keep only 'max_connections'",
      },
    ]);
  });

  test('kebab-case aliases load end to end', async () => {
    const { config, deprecations } = await loadConfig({
      listeners: { default: { bind: '127.0.0.1:0', 'max-connections': 7 } },
      'max-packet-size': 1000,
      'log-level': 'warn',
      plugins: {},
    });
    expect(config.listeners.default?.max_connections).toBe(7);
    expect(config.max_packet_size).toBe(1000);
    expect(config.log_level).toBe('warn');
    expect(deprecations).toHaveLength(3);
  });
});

describe('auth section', () => {
  test('legacy auth with both plugins and a password file', () => {
    const yaml = `
auth:
  plugins: [auth_file, auth_anonymous]
  allow-anonymous: false
  password-file: /etc/midge/passwd
`;
    expect(plugins(yaml)).toEqual({
      [EVENTS]: null,
      [PACKETS]: null,
      [FILE]: { password_file: '/etc/midge/passwd' },
      [ANON]: { allow_anonymous: false },
    });
    expect(messages(yaml)).toEqual([
      `auth: 'auth' is deprecated: use plugins: { '${FILE}': { password_file: '/etc/midge/passwd' }, '${ANON}': { allow_anonymous: false } }`,
    ]);
  });

  test('auth without a plugins list enables anonymous auth, and file auth when a password file is given', () => {
    expect(plugins('auth:\n  allow-anonymous: true\n')).toEqual({
      [EVENTS]: null,
      [PACKETS]: null,
      [ANON]: { allow_anonymous: true },
    });
    expect(plugins('auth:\n  password-file: p.txt\n')).toEqual({
      [EVENTS]: null,
      [PACKETS]: null,
      [ANON]: null,
      [FILE]: { password_file: 'p.txt' },
    });
  });

  test("YAML 1.1 'yes'/'off' flags are read as booleans", () => {
    expect(plugins('auth:\n  plugins: [auth_anonymous]\n  allow-anonymous: off\n')).toMatchObject({
      [ANON]: { allow_anonymous: false },
    });
  });

  test('auth with an empty plugins list adds no auth plugin and says what that means', () => {
    const yaml = 'auth:\n  plugins: []\n';
    expect(plugins(yaml)).toEqual({ [EVENTS]: null, [PACKETS]: null });
    expect(messages(yaml)).toEqual([
      "auth: 'auth' is deprecated: list auth plugins under plugins:. With none, Midge allows every client (aMQTT refused every connection)",
    ]);
  });

  test('with a plugins: map, auth options fill the plugins listed there; the loggers are not added', () => {
    const yaml = `
plugins:
  auth_anonymous:
auth:
  allow-anonymous: false
  password-file: p.txt
`;
    expect(plugins(yaml)).toEqual({ [ANON]: { allow_anonymous: false } });
    expect(messages(yaml)).toContain(
      `auth.password-file: 'password-file' has no effect: ${FILE} is not enabled; remove it`,
    );
  });

  test('an auth option contradicting the plugins: map is an issue', () => {
    const t = translateAmqtt({ plugins: { [ANON]: { allow_anonymous: true } }, auth: { 'allow-anonymous': false } });
    expect(t.issues).toEqual([
      { path: 'auth', message: `conflicts with plugins: '${ANON}': allow_anonymous: true here is false: keep one` },
    ]);
  });

  test('unknown keys and unknown plugins in the auth section are issues', () => {
    const t = translateAmqtt({ auth: { plugins: ['auth_ldap'], 'allow-anonymus': true } });
    expect(t.issues).toEqual([
      {
        path: 'auth.allow-anonymus',
        message:
          "unknown key 'allow-anonymus' in this deprecated section (expected one of: plugins, allow-anonymous, password-file)",
      },
      {
        path: 'auth.plugins[0]',
        message: 'unknown aMQTT auth plugin "auth_ldap": list it under plugins: with its package name instead',
      },
    ]);
  });
});

describe('topic-check section', () => {
  test('enabled with taboo and acl, ACL lists kept as written (list of single-key maps), acl as subscribe_acl', () => {
    const yaml = `
topic-check:
  enabled: true
  plugins:
    - topic_taboo
    - topic_acl
  publish-acl:
    - alice: ['a/#']
    - bob: [b]
  acl:
    - alice: ['#']
  receive-acl:
    - bob: [b]
`;
    const result = plugins(yaml) as object;
    expect(Object.keys(result)).toEqual([EVENTS, PACKETS, ANON, TABOO, ACL]);
    expect(result).toEqual({
      [EVENTS]: null,
      [PACKETS]: null,
      [ANON]: null,
      [TABOO]: null,
      [ACL]: {
        subscribe_acl: [{ alice: ['#'] }],
        publish_acl: [{ alice: ['a/#'] }, { bob: ['b'] }],
        receive_acl: [{ bob: ['b'] }],
      },
    });
    // The hint names subscribe_acl: the ACL plugin's `acl` is itself a deprecated name.
    expect(messages(yaml)).toEqual([
      `topic-check: 'topic-check' is deprecated: use plugins: { '${TABOO}': {}, '${ACL}': { subscribe_acl: [{ alice: ['#'] }], publish_acl: [{ alice: ['a/#'] }, { bob: ['b'] }], receive_acl: [{ bob: ['b'] }] } }`,
    ]);
  });

  test('acl and subscribe-acl together are an issue', () => {
    const t = translateAmqtt(
      parseConfigYaml('topic-check:\n  enabled: true\n  acl: { a: [x] }\n  subscribe-acl: { b: [y] }\n'),
    );
    expect(t.issues).toEqual([
      { path: 'topic-check.acl', message: "'acl' and 'subscribe-acl' are the same setting (subscribe_acl): keep one" },
    ]);
  });

  test('enabled without a plugins list runs every topic plugin, like aMQTT', () => {
    // No auth section: aMQTT ran all its auth plugins, so anonymous auth lets everyone in.
    expect(plugins('topic-check:\n  enabled: yes\n  subscribe-acl: { alice: [x] }\n')).toEqual({
      [EVENTS]: null,
      [PACKETS]: null,
      [ANON]: null,
      [TABOO]: null,
      [ACL]: { subscribe_acl: { alice: ['x'] } },
    });
  });

  test('disabled adds nothing', () => {
    const loggersAndAnonymous = { [EVENTS]: null, [PACKETS]: null, [ANON]: null };
    expect(plugins('topic-check:\n  enabled: false\n  plugins: [topic_acl]\n')).toEqual(loggersAndAnonymous);
    expect(plugins('topic-check: {}\n')).toEqual(loggersAndAnonymous);
  });

  test('a bad enabled value is an issue', () => {
    expect(translateAmqtt({ 'topic-check': { enabled: 'maybe' } }).issues).toEqual([
      { path: 'topic-check.enabled', message: 'expected true or false, got "maybe"' },
    ]);
  });
});

describe('sys_interval', () => {
  test('becomes the $SYS plugin option, alongside an existing plugins: map', () => {
    expect(plugins('sys_interval: 10\nplugins:\n  auth_anonymous:\n')).toEqual({
      [ANON]: null,
      [SYS]: { sys_interval: 10 },
    });
  });

  test('overrides the default plugins when no plugins: map is given', () => {
    expect(plugins('sys_interval: 5\n')).toMatchObject({ [SYS]: { sys_interval: 5 } });
  });

  test('0 turns $SYS off (removes it from the defaults)', () => {
    expect(Object.keys(plugins('sys_interval: 0\n') as object)).toEqual([EVENTS, PACKETS, ANON]);
  });

  test('0 with the $SYS plugin listed is an issue', () => {
    expect(translateAmqtt({ sys_interval: 0, plugins: { [SYS]: null } }).issues).toEqual([
      { path: 'sys_interval', message: `sys_interval: 0 turns $SYS off, but plugins: lists '${SYS}': remove one` },
    ]);
  });
});

describe('listeners', () => {
  test('aMQTT keys we do not implement are issues naming the alternative', async () => {
    expect(
      await issuesOf({ listeners: { default: { bind: ':1883', cadata: '-----BEGIN', reader: 'x' } }, plugins: {} }),
    ).toEqual([
      "listeners.default.cadata: inline certificates are not supported: save them to a PEM file and set 'cafile'",
      "listeners.default.reader: custom stream adapters are not supported: Midge listeners are 'tcp' or 'ws'",
    ]);
  });

  test("hbmqtt's max_connections: -1 means unlimited", () => {
    const t = translateAmqtt({ listeners: { default: { 'max-connections': -1 } }, plugins: {} });
    expect(t.config).toEqual({ listeners: { default: { max_connections: 0 } }, plugins: {} });
    expect(t.deprecations.map((d) => d.message)).toEqual([
      "'max-connections' is deprecated: use 'max_connections'",
      'max_connections: -1 is deprecated: use 0 for unlimited',
    ]);
  });

  test('null values mean unset', () => {
    const t = translateAmqtt({
      listeners: { default: { bind: ':1', cafile: null }, other: null },
      session_expiry_interval: null,
    });
    expect(t.config).toMatchObject({ listeners: { default: { bind: ':1' }, other: {} } });
    expect(t.config).not.toHaveProperty('session_expiry_interval');
  });
});

test('qos1_puback_timeout is dropped with a note', () => {
  const t = translateAmqtt({ qos1_puback_timeout: 5, plugins: {} });
  expect(t.config).toEqual({ plugins: {} });
  expect(t.deprecations[0]?.path).toBe('qos1_puback_timeout');
});

test('a Midge config passes through unchanged and without deprecations', () => {
  const ours = {
    listeners: { default: { bind: ':1883' } },
    plugins: { [ANON]: { allow_anonymous: false } },
    log_level: 'debug',
  };
  const t = translateAmqtt(structuredClone(ours));
  expect(t).toEqual({ config: ours, deprecations: [], issues: [], renames: new Map() });
});

test('a realistic aMQTT config (aMQTT docs example) loads', async () => {
  const yaml = `
listeners:
  default:
    max-connections: 50000
    type: tcp
  my-tcp-1:
    bind: 127.0.0.1:8081
  my-ws-1:
    bind: 127.0.0.1:8080
    type: ws
timeout-disconnect-delay: 2
auth:
  plugins: ['auth_anonymous']
  allow-anonymous: true
topic-check:
  enabled: False
`;
  const { config } = await loadConfig(parseConfigYaml(yaml));
  expect(Object.keys(config.listeners)).toEqual(['default', 'my-tcp-1', 'my-ws-1']);
  expect(config.listeners['my-ws-1']).toMatchObject({
    type: 'ws',
    max_connections: 50000,
    host: '127.0.0.1',
    port: 8080,
  });
  expect(config.listeners.default).toMatchObject({ bind: '0.0.0.0:1883', max_connections: 50000 });
  expect(config.timeout_disconnect_delay).toBe(2);
  expect(config.plugins.map((p) => p.key)).toEqual([EVENTS, PACKETS, ANON]);
});
