import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ListenerConfig } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';

let dir: string;
let cert: string;
let key: string;
let ca: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-listeners-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  ca = join(dir, 'ca.pem');
  await Promise.all([writeFile(cert, 'x'), writeFile(key, 'x'), writeFile(ca, 'x'), mkdir(join(dir, 'cas'))]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listeners(section: unknown): Promise<Record<string, ListenerConfig>> {
  const { config } = await loadConfig({ listeners: section, plugins: {} }, { configDir: dir });
  return config.listeners;
}

async function issues(section: unknown): Promise<string[]> {
  const err = await loadConfig({ listeners: section, plugins: {} }, { configDir: dir }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('defaults and inheritance', () => {
  test('no listeners section: one tcp listener on 0.0.0.0:1883', async () => {
    const { config } = await loadConfig({ plugins: {} });
    expect(config.listeners).toEqual({
      default: {
        name: 'default',
        type: 'tcp',
        bind: '0.0.0.0:1883',
        host: '0.0.0.0',
        port: 1883,
        max_connections: 0,
        ssl: false,
        require_certificate: false,
        use_identity_as_username: false,
      },
    });
  });

  test('an empty listeners mapping means no network listener', async () => {
    expect(await listeners({})).toEqual({});
  });

  test('a listener inherits every key it does not set from default', async () => {
    const l = await listeners({
      default: { type: 'ws', bind: ':8080', max_connections: 5, path: '/mqtt' },
      other: { bind: '127.0.0.1:8081' },
      tcp: { type: 'tcp', bind: '127.0.0.1:1883' },
    });
    expect(l.other).toMatchObject({ type: 'ws', max_connections: 5, path: '/mqtt', host: '127.0.0.1', port: 8081 });
    // A key the listener sets wins even when it equals the built-in default (aMQTT would take default's ws).
    expect(l.tcp).toMatchObject({ type: 'tcp', max_connections: 5 });
    // An inherited path does not apply to a tcp listener.
    expect(l.tcp).not.toHaveProperty('path');
  });

  test('without a default listener nothing is inherited', async () => {
    const l = await listeners({ a: { bind: ':1' }, b: { bind: ':2', type: 'ws' } });
    expect(l.a?.type).toBe('tcp');
    expect(l.b?.type).toBe('ws');
  });

  test('a listener with nothing under it copies default, bind included, so it clashes', async () => {
    expect(await issues({ default: { bind: '127.0.0.1:1883' }, copy: null })).toEqual([
      "listeners.copy.bind: '127.0.0.1:1883' (inherited from listeners.default) overlaps listeners.default ('127.0.0.1:1883'): give each listener its own port or address",
    ]);
  });

  test('a bad value in default is reported once, at default', async () => {
    expect(await issues({ default: { max_connections: 'many' }, other: { bind: ':2' } })).toEqual([
      'listeners.default.max_connections: expected an integer >= 0, got "many"',
    ]);
  });
});

describe('bind', () => {
  test.each([
    ['0.0.0.0:1883', '0.0.0.0', 1883],
    [':1883', '', 1883],
    ['[::1]:1883', '::1', 1883],
    ['[::]:0', '::', 0],
    ['localhost:65535', 'localhost', 65535],
    ['broker.example.com:8883', 'broker.example.com', 8883],
  ])('%s → host %j, port %d', async (bind, host, port) => {
    expect((await listeners({ default: { bind } })).default).toMatchObject({ bind, host, port });
  });

  test.each([
    ['localhost', `expected 'host:port' (e.g. '0.0.0.0:1883' or ':1883'), got "localhost"`],
    ['0.0.0.0:65536', 'port must be a number from 0 to 65535, got "65536"'],
    ['0.0.0.0:-1', 'port must be a number from 0 to 65535, got "-1"'],
    ['0.0.0.0:', 'port must be a number from 0 to 65535, got ""'],
    ['::1:1883', 'write IPv6 addresses in brackets, e.g. \'[::1]:1883\', got "::1:1883"'],
    ['[zz]:1883', `"[zz]" is not an IPv6 address in brackets (e.g. '[::1]:1883')`],
    ['bad_host!:1883', '"bad_host!" is not a host name or IP address'],
  ])('%s is refused', async (bind, message) => {
    expect(await issues({ default: { bind } })).toEqual([`listeners.default.bind: ${message}`]);
  });

  test('a bind that is not a string is refused', async () => {
    expect(await issues({ default: { bind: 1883 } })).toEqual([
      "listeners.default.bind: expected a 'host:port' string, got 1883",
    ]);
  });

  test('two listeners on the same address are an issue', async () => {
    expect(await issues({ default: { bind: '0.0.0.0:1883' }, other: { type: 'ws' } })).toEqual([
      "listeners.other.bind: '0.0.0.0:1883' (inherited from listeners.default) overlaps listeners.default ('0.0.0.0:1883'): give each listener its own port or address",
    ]);
    expect(await issues({ default: { type: 'tcp' }, ws: { type: 'ws' } })).toEqual([
      "listeners.ws.bind: '0.0.0.0:1883' (the default bind) overlaps listeners.default ('0.0.0.0:1883'): give each listener its own port or address",
    ]);
  });

  test('a wildcard overlaps specific addresses on the same port', async () => {
    expect(await issues({ a: { bind: '0.0.0.0:1883' }, b: { bind: '127.0.0.1:1883' } })).toHaveLength(1);
    expect(await issues({ a: { bind: ':1883' }, b: { bind: '[::1]:1883' } })).toHaveLength(1);
  });

  test('different ports, an IPv6 address beside 0.0.0.0, and port 0 do not clash', async () => {
    const l = await listeners({
      a: { bind: '0.0.0.0:1883' },
      b: { bind: '0.0.0.0:1884' },
      c: { bind: '[::1]:1883' },
      d: { bind: '127.0.0.1:0' },
      e: { bind: '127.0.0.1:0' },
    });
    expect(Object.keys(l)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('ssl', () => {
  test("ssl accepts booleans and aMQTT's on/off/yes/no", async () => {
    const l = await listeners({
      a: { bind: ':1', ssl: 'on', certfile: cert, keyfile: key },
      b: { bind: ':2', ssl: 'Yes', certfile: cert, keyfile: key },
      c: { bind: ':3', ssl: 'off' },
      d: { bind: ':4', ssl: false },
      e: { bind: ':5', ssl: true, certfile: cert, keyfile: key },
    });
    expect(Object.values(l).map((x) => x.ssl)).toEqual([true, true, false, false, true]);
    expect(l.a).toMatchObject({ certfile: cert, keyfile: key, require_certificate: false });
  });

  test('an unknown ssl word is refused', async () => {
    expect(await issues({ default: { ssl: 'maybe' } })).toEqual([
      'listeners.default.ssl: expected true or false (aMQTT\'s on/off and yes/no work too), got "maybe"',
    ]);
  });

  test('ssl needs certfile and keyfile', async () => {
    expect(await issues({ default: { ssl: true, keyfile: key } })).toEqual([
      'listeners.default.certfile: required when ssl is on',
    ]);
    const l = await listeners({
      default: { ssl: true, certfile: cert, keyfile: key },
      other: { bind: ':2', certfile: null },
    });
    expect(l.other).toMatchObject({ ssl: true, certfile: cert, keyfile: key });
    expect(
      await issues({ default: { ssl: true, certfile: cert, keyfile: key }, other: { bind: ':2', keyfile: 'k' } }),
    ).toEqual([
      `listeners.other.keyfile: cannot read ${join(dir, 'k')}: ENOENT: no such file or directory: check keyfile's path (a relative path starts at the config file's folder)`,
    ]);
    expect(await issues({ default: { ssl: true }, other: { bind: ':2', certfile: cert, keyfile: key } })).toEqual([
      'listeners.default.certfile: required when ssl is on',
      'listeners.default.keyfile: required when ssl is on',
    ]);
    expect(await issues({ default: { bind: ':1' }, other: { bind: ':2', ssl: true, certfile: cert } })).toEqual([
      'listeners.other.keyfile: required when ssl is on',
    ]);
  });

  test('TLS files on a plain listener are a mistake, unless inherited', async () => {
    expect(
      await issues({
        default: { bind: ':1', ssl: true, certfile: cert, keyfile: key },
        plain: { bind: ':2', ssl: false, cafile: ca },
      }),
    ).toEqual(['listeners.plain.cafile: has no effect while ssl is off: set ssl: true or remove it']);
    expect(
      await issues({
        default: { bind: ':1', ssl: false },
        tls: { bind: ':2', ssl: true, certfile: cert, keyfile: key, require_certificate: true },
      }),
    ).toEqual([
      'listeners.tls.require_certificate: needs cafile or capath: the CA certificates client certificates must be signed by',
    ]);
    expect(
      await issues({ default: { bind: ':1', require_certificate: true }, tls: { bind: ':2', ssl: false } }),
    ).toEqual(['listeners.default.require_certificate: needs ssl: true']);
    expect(await issues({ default: { certfile: cert, keyfile: key } })).toEqual([
      'listeners.default.certfile: has no effect while ssl is off: set ssl: true or remove it',
      'listeners.default.keyfile: has no effect while ssl is off: set ssl: true or remove it',
    ]);
    const l = await listeners({
      default: { bind: ':8883', ssl: true, certfile: cert, keyfile: key },
      plain: { bind: ':1883', ssl: false },
    });
    expect(l.plain).toMatchObject({ ssl: false });
    expect(l.plain).not.toHaveProperty('certfile');
  });

  test('require_certificate needs ssl and a CA', async () => {
    expect(await issues({ default: { require_certificate: true } })).toEqual([
      'listeners.default.require_certificate: needs ssl: true',
    ]);
    expect(await issues({ default: { ssl: true, certfile: cert, keyfile: key, require_certificate: 'yes' } })).toEqual([
      'listeners.default.require_certificate: needs cafile or capath: the CA certificates client certificates must be signed by',
    ]);
    const l = await listeners({
      default: {
        ssl: true,
        certfile: 'cert.pem',
        keyfile: 'key.pem',
        cafile: 'ca.pem',
        capath: 'cas',
        require_certificate: true,
      },
    });
    expect(l.default).toMatchObject({ cafile: ca, capath: join(dir, 'cas'), require_certificate: true });
  });

  test('missing or wrong-kind TLS files are reported with the OS reason and the fix', async () => {
    expect(
      await issues({ default: { ssl: true, certfile: 'missing.pem', keyfile: key, capath: 'ca.pem', cafile: 'cas' } }),
    ).toEqual([
      `listeners.default.certfile: cannot read ${join(dir, 'missing.pem')}: ENOENT: no such file or directory: check certfile's path (a relative path starts at the config file's folder)`,
      `listeners.default.cafile: ${join(dir, 'cas')} is not a file: set cafile to a file, or use capath for a folder of CA certificates`,
      `listeners.default.capath: ${join(dir, 'ca.pem')} is not a folder: set capath to a folder, or use cafile for one file of CA certificates`,
    ]);
  });

  test('a file shared through inheritance is reported once', async () => {
    expect(
      await issues({ default: { ssl: true, certfile: 'nope.pem', keyfile: key, bind: ':1' }, b: { bind: ':2' } }),
    ).toHaveLength(1);
  });
});

describe('wss and client certificates', () => {
  // A function: the files are made in beforeAll.
  const mtls = () => ({
    bind: ':8883',
    ssl: true,
    certfile: cert,
    keyfile: key,
    cafile: ca,
    require_certificate: true,
  });
  async function warnings(section: unknown): Promise<string[]> {
    const loaded = await loadConfig({ listeners: section, plugins: {} }, { configDir: dir });
    return loaded.warnings.map((w) => `${w.path}: ${w.message}`);
  }

  test('a wss listener inheriting require_certificate from a TLS default is warned about, with the fix', async () => {
    expect(await warnings({ default: mtls(), web: { type: 'ws', bind: ':8884' } })).toEqual([
      'listeners.web.require_certificate: inherited from listeners.default: this wss listener refuses every client without a client certificate, so browsers are refused; set require_certificate: false on listeners.web unless every web client has a certificate installed',
    ]);
    expect(await warnings({ default: mtls(), web: { type: 'ws', bind: ':8884', require_certificate: false } })).toEqual(
      [],
    );
  });

  test('a wss listener that sets require_certificate itself is warned about too', async () => {
    expect(await warnings({ default: { ...mtls(), type: 'ws' } })).toEqual([
      'listeners.default.require_certificate: this wss listener refuses every client without a client certificate: browsers connect only with one installed; remove it unless every web client has one',
    ]);
  });

  test('TLS listeners requiring certificates, and plain ws listeners, are not', async () => {
    expect(await warnings({ default: mtls(), plain: { type: 'ws', bind: ':8080', ssl: false } })).toEqual([]);
  });
});

describe('ws path', () => {
  test('path is for ws listeners and starts with /', async () => {
    expect((await listeners({ default: { type: 'ws', path: '/mqtt' } })).default?.path).toBe('/mqtt');
    expect(await issues({ default: { path: '/mqtt' } })).toEqual([
      "listeners.default.path: only ws listeners have a path; this listener's type is tcp",
    ]);
    expect(await issues({ default: { type: 'ws', path: 'mqtt' } })).toEqual([
      `listeners.default.path: expected a URL path starting with '/' such as '/mqtt', got "mqtt"`,
    ]);
  });
});

test('type and max_connections are checked', async () => {
  expect(await issues({ default: { type: 'wss', max_connections: 1.5 } })).toEqual([
    `listeners.default.type: expected 'tcp' or 'ws' (with ssl: true they become TLS and wss), got "wss"`,
    'listeners.default.max_connections: expected an integer >= 0, got 1.5',
  ]);
});
