/**
 * Listener inheritance and the checks that span keys or listeners. Runs on the translated (unvalidated)
 * `listeners:` section next to the schema, so these problems are reported together with schema problems:
 * a key whose value the schema rejects is left out here rather than reported twice.
 */
import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { bindsOverlap, parseBind, type BindAddress } from './bind.js';
import { DEFAULT_BIND, DEFAULT_LISTENER_NAME } from './defaults.js';
import { formatPath } from './issues.js';
import { LISTENER_KEYS, listenerSchema, type listenerEntries, type ParsedListener } from './schema.js';
import type { ConfigIssue, ConfigWarning, ListenerConfig } from './types.js';

/** The keys of a listener that name TLS files (capath: a folder). */
export type TlsFileKey = 'certfile' | 'keyfile' | 'cafile' | 'capath';

type Key = keyof typeof listenerEntries;

interface Resolved {
  readonly name: string;
  /** Valid values after inheritance. */
  readonly fields: Partial<ParsedListener>;
  /** Keys the listener itself sets. */
  readonly own: ReadonlySet<Key>;
  /** Keys taken from `listeners.default`. */
  readonly inherited: ReadonlySet<Key>;
  /** Keys whose value (own or inherited) the schema rejects: checks needing them are skipped. */
  readonly bad: ReadonlySet<Key>;
}

export interface ListenersResult {
  /** Only meaningful when `issues` is empty. */
  readonly listeners: Record<string, ListenerConfig>;
  readonly issues: ConfigIssue[];
  /** Valid settings that are probably not meant (a wss listener requiring client certificates). */
  readonly warnings: ConfigWarning[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The valid keys of one listener, and the keys the schema rejects. */
function readListener(raw: Record<string, unknown>): { fields: Partial<ParsedListener>; bad: Set<Key> } {
  const result = v.safeParse(listenerSchema, raw, { abortPipeEarly: true });
  const bad = new Set<Key>();
  for (const issue of result.issues ?? []) {
    const key = issue.path?.[0]?.key;
    if (typeof key === 'string') bad.add(key as Key);
  }
  const fields: Partial<ParsedListener> = {};
  const output = result.output as Partial<ParsedListener>;
  for (const key of LISTENER_KEYS as readonly Key[]) {
    if (raw[key] !== undefined && !bad.has(key)) (fields as Record<string, unknown>)[key] = output[key];
  }
  return { fields, bad };
}

/** Applies `listeners.default` to every other listener, key by key (aMQTT semantics). */
function inherit(section: Record<string, unknown>): Resolved[] {
  const base = isMapping(section[DEFAULT_LISTENER_NAME]) ? readListener(section[DEFAULT_LISTENER_NAME]) : undefined;
  const out: Resolved[] = [];
  for (const [name, raw] of Object.entries(section)) {
    if (!isMapping(raw)) continue;
    const mine = name === DEFAULT_LISTENER_NAME && base !== undefined ? base : readListener(raw);
    const own = new Set((Object.keys(raw) as Key[]).filter((k) => raw[k] !== undefined && LISTENER_KEYS.includes(k)));
    const fields: Partial<ParsedListener> = { ...mine.fields };
    const bad = new Set(mine.bad);
    const inherited = new Set<Key>();
    if (name !== DEFAULT_LISTENER_NAME && base !== undefined) {
      for (const key of LISTENER_KEYS as readonly Key[]) {
        if (own.has(key)) continue;
        if (base.bad.has(key)) bad.add(key);
        else if (base.fields[key] !== undefined) {
          (fields as Record<string, unknown>)[key] = base.fields[key];
          inherited.add(key);
        }
      }
    }
    out.push({ name, fields, own, inherited, bad });
  }
  return out;
}

/**
 * Resolves `listeners:` (translated, unvalidated) into ListenerConfigs and the problems between keys:
 * ssl without certfile/keyfile, TLS keys on a plain listener, require_certificate without a CA, `path` on
 * tcp, two listeners on the same address. File paths become absolute, from `configDir`.
 */
export function resolveListeners(section: unknown, configDir: string): ListenersResult {
  if (section === undefined) section = { [DEFAULT_LISTENER_NAME]: {} };
  if (!isMapping(section)) return { listeners: {}, issues: [], warnings: [] };
  const issues: ConfigIssue[] = [];
  const warnings: ConfigWarning[] = [];
  const listeners: Record<string, ListenerConfig> = {};
  const bound: { name: string; address: BindAddress; bind: string }[] = [];

  for (const l of inherit(section)) {
    const at = (key: string): string => formatPath(['listeners', l.name, key]);
    const from = (key: Key): string =>
      l.inherited.has(key) ? ` (inherited from listeners.${DEFAULT_LISTENER_NAME})` : '';
    const f = l.fields;
    const type = f.type ?? 'tcp';
    const ssl = f.ssl ?? false;
    const sslKnown = !l.bad.has('ssl');

    if (sslKnown && ssl) {
      for (const key of ['certfile', 'keyfile'] as const) {
        if (f[key] === undefined && !l.bad.has(key)) {
          issues.push({ path: at(key), message: `required when ssl is on${from('ssl')}` });
        }
      }
    }
    if (sslKnown && !ssl) {
      // Only keys written on this listener: a plain listener may well inherit TLS files from a TLS default.
      for (const key of ['certfile', 'keyfile', 'cafile', 'capath'] as const) {
        if (l.own.has(key) && !l.bad.has(key)) {
          issues.push({
            path: at(key),
            message: `has no effect while ssl is off${from('ssl')}: set ssl: true or remove it`,
          });
        }
      }
    }
    if (f.require_certificate === true && !l.bad.has('require_certificate')) {
      if (sslKnown && !ssl) {
        // Inherited by a plain listener it is dropped like the other TLS keys; written here it is a mistake.
        if (l.own.has('require_certificate'))
          issues.push({ path: at('require_certificate'), message: 'needs ssl: true' });
      } else if (
        sslKnown &&
        f.cafile === undefined &&
        f.capath === undefined &&
        !l.bad.has('cafile') &&
        !l.bad.has('capath')
      ) {
        issues.push({
          path: at('require_certificate'),
          message: 'needs cafile or capath: the CA certificates client certificates must be signed by',
        });
      }
    }
    const identity = f.use_identity_as_username;
    if (identity !== undefined && identity !== false && !l.bad.has('use_identity_as_username')) {
      // Inherited by a listener that does not verify client certificates it is dropped, as other TLS keys.
      if (l.own.has('use_identity_as_username') && (!sslKnown || !ssl || f.require_certificate !== true))
        issues.push({
          path: at('use_identity_as_username'),
          message:
            'needs ssl: true and require_certificate: true: only a certificate the listener verified may name a client',
        });
    }
    if (type === 'ws' && sslKnown && ssl && f.require_certificate === true && !l.bad.has('require_certificate')) {
      warnings.push(wssClientCertificateWarning(l.name, l.inherited.has('require_certificate')));
    }
    if (l.own.has('path') && !l.bad.has('path') && !l.bad.has('type') && type !== 'ws') {
      issues.push({
        path: at('path'),
        message: `only ws listeners have a path; this listener's type is ${type}${from('type')}`,
      });
    }

    if (l.bad.has('bind')) continue;
    const bind = f.bind ?? DEFAULT_BIND;
    const address = parseBind(bind);
    if (typeof address === 'string') continue; // reported by the schema
    const clash = bound.find((b) => bindsOverlap(b.address, address));
    if (clash !== undefined) {
      const written = f.bind === undefined ? ' (the default bind)' : from('bind');
      issues.push({
        path: at('bind'),
        message: `'${bind}'${written} overlaps listeners.${clash.name} ('${clash.bind}'): give each listener its own port or address`,
      });
    }
    bound.push({ name: l.name, address, bind });

    const file = (p: string | undefined): string | undefined =>
      p === undefined ? undefined : isAbsolute(p) ? p : resolve(configDir, p);
    listeners[l.name] = {
      name: l.name,
      type,
      bind,
      host: address.host,
      port: address.port,
      max_connections: f.max_connections ?? 0,
      ssl,
      // TLS files only matter with ssl on; a plain listener inheriting them from a TLS default drops them.
      ...(ssl
        ? {
            certfile: file(f.certfile),
            keyfile: file(f.keyfile),
            ...(f.cafile !== undefined ? { cafile: file(f.cafile) } : {}),
            ...(f.capath !== undefined ? { capath: file(f.capath) } : {}),
          }
        : {}),
      require_certificate: ssl && (f.require_certificate ?? false),
      use_identity_as_username:
        ssl && f.require_certificate === true && identity !== undefined && identity !== false
          ? identity === true
            ? 'cn'
            : identity
          : false,
      ...(type === 'ws' && f.path !== undefined ? { path: f.path } : {}),
    };
  }
  return { listeners, issues, warnings };
}

/**
 * A wss listener that requires client certificates refuses browsers that have none installed, which is
 * most of them; inherited from a TLS `default` (mutual TLS for devices) it is rarely meant.
 */
function wssClientCertificateWarning(name: string, inherited: boolean): ConfigWarning {
  const path = formatPath(['listeners', name, 'require_certificate']);
  return inherited
    ? {
        path,
        message:
          `inherited from listeners.${DEFAULT_LISTENER_NAME}: this wss listener refuses every client without a ` +
          `client certificate, so browsers are refused; set require_certificate: false on listeners.${name} ` +
          'unless every web client has a certificate installed',
      }
    : {
        path,
        message:
          'this wss listener refuses every client without a client certificate: browsers connect only with one ' +
          'installed; remove it unless every web client has one',
      };
}

/**
 * Checks that the TLS files of ssl listeners can be found, so a typo fails at load time rather than at the
 * first TLS handshake. Each file is reported once, at the first listener that uses it.
 */
export async function checkListenerFiles(listeners: Readonly<Record<string, ListenerConfig>>): Promise<ConfigIssue[]> {
  const seen = new Set<string>();
  const checks: Promise<ConfigIssue | undefined>[] = [];
  for (const l of Object.values(listeners)) {
    if (!l.ssl) continue;
    for (const key of ['certfile', 'keyfile', 'cafile', 'capath'] as const) {
      const file = l[key];
      if (file === undefined || seen.has(file)) continue;
      seen.add(file);
      const wantDir = key === 'capath';
      checks.push(
        stat(file).then(
          (s) =>
            s.isDirectory() === wantDir
              ? undefined
              : {
                  path: formatPath(['listeners', l.name, key]),
                  message: `${file} is not a ${wantDir ? 'folder' : 'file'}: ${tlsFileFix(key, wantDir ? 'ENOTDIR' : 'EISDIR')}`,
                },
          (err: NodeJS.ErrnoException) => ({
            path: formatPath(['listeners', l.name, key]),
            message: unreadableTlsFile(key, file, err),
          }),
        ),
      );
    }
  }
  return (await Promise.all(checks)).filter((i): i is ConfigIssue => i !== undefined);
}

/** `cannot read <file>: <OS reason>: <fix>` for a listener's TLS file (or folder, for capath). */
export function unreadableTlsFile(key: TlsFileKey, file: string, err: NodeJS.ErrnoException): string {
  return `cannot read ${file}: ${osReason(err)}: ${tlsFileFix(key, err.code)}`;
}

/** What to do about a TLS file the OS would not give us (`code`: the fs error code). */
function tlsFileFix(key: TlsFileKey, code: string | undefined): string {
  switch (code ?? '') {
    case 'ENOENT':
      return `check ${key}'s path (a relative path starts at the config file's folder)`;
    case 'EACCES':
    case 'EPERM':
      return `make it readable by the user the broker runs as (${currentUser()})`;
    case 'EISDIR':
      return `set ${key} to a file${key === 'cafile' ? ', or use capath for a folder of CA certificates' : ''}`;
    case 'ENOTDIR':
      return `set ${key} to a folder${key === 'capath' ? ', or use cafile for one file of CA certificates' : ''}`;
    default:
      return `set ${key} to a readable ${key === 'capath' ? 'folder' : 'file'}`;
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** "ENOENT: no such file or directory" from a Node fs error, without the repeated syscall and path. */
export function osReason(err: NodeJS.ErrnoException): string {
  return err.message.replace(/, \w+( '.*')?$/s, '');
}
