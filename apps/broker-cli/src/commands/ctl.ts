/**
 * `midge ctl`: a running broker's admin API (@midge/plugin-admin) from the shell, as `mosquitto_ctrl` and
 * `emqx ctl` are for theirs. Human tables on a terminal, JSON otherwise (or with --json).
 */
import { readFile } from 'node:fs/promises';
import { intFlag, parseCommandArgs, UsageError } from '../args.js';
import { AdminApiError, callAdminApi, type AdminTarget } from '../ctl/admin-client.js';
import { formatTable, type Column } from '../ctl/table.js';
import { CTL_HELP } from '../help.js';
import type { CommandIO } from '../io.js';
import { EXIT_FAILURE, EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  prefix: { type: 'string' },
  username: { type: 'string', short: 'u' },
  listener: { type: 'string' },
  connected: { type: 'boolean' },
  offline: { type: 'boolean' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

const SUBCOMMANDS = ['stats', 'clients', 'client', 'kick', 'sessions', 'delete-session', 'retained', 'reload'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The admin plugin's default bind address. */
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9234';

interface ClientRow {
  clientId: string;
  username: string | null;
  listener: string;
  remoteAddress: string;
  remotePort: number;
  protocolVersion: number;
  connectedAt: string;
}
interface SessionRow {
  clientId: string;
  username: string | null;
  connected: boolean;
  persistent: boolean;
  subscriptions: number;
  queued: number;
  inflight: number;
  expiryInterval: number | null;
}
interface RetainedRow {
  topic: string;
  qos: number;
  size: number;
  payload: string;
  encoding: string;
  truncated: boolean;
}
interface ClientDetailRow {
  clientId: string;
  username: string | null;
  connected: boolean;
  persistent: boolean;
  protocolVersion: number;
  listener: string;
  remoteAddress: string;
  remotePort: number;
  connectedAt: string | null;
  expiryInterval: number | null;
  subscriptions: { filter: string; qos: number; noLocal: boolean }[];
  queued: number;
  queuedBytes: number;
  inflight: number;
  inboundQos2: number;
}
interface ReloadOutcome {
  applied: boolean;
  errors: string[];
  changes: string[];
  failures: string[];
  needsRestart: string[];
}
/** A paged list as the API returns it: its rows under the list's own key (`clients`, `messages`). */
type Page = { total: number; offset: number; limit: number } & Record<string, unknown>;

export async function runCtl(argv: string[], io: CommandIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs('ctl', argv, OPTIONS, true);
    if (values.help === true) {
      io.stdout.write(CTL_HELP);
      return EXIT_OK;
    }
    if (values.version === true) {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    const [name, ...args] = positionals;
    if (name === undefined) throw new UsageError(`which command? one of ${SUBCOMMANDS.join(', ')}`);
    if (!(SUBCOMMANDS as readonly string[]).includes(name))
      throw new UsageError(`unknown command '${name}'; commands: ${SUBCOMMANDS.join(', ')}`);
    const sub = name as Subcommand;
    const target = await targetOf(values);
    const json = values.json === true || (io.stdout as { isTTY?: boolean }).isTTY !== true;
    const paging = {
      limit: values.limit === undefined ? undefined : String(intFlag('--limit', values.limit, 1, 1000)),
      offset: values.offset === undefined ? undefined : String(intFlag('--offset', values.offset, 0, 2 ** 31)),
    };
    const out = (body: unknown, human: () => string): void => {
      io.stdout.write(json ? `${JSON.stringify(body, null, 2)}\n` : human());
    };
    switch (sub) {
      case 'stats': {
        noArguments(sub, args);
        const body = (await callAdminApi(target, 'GET', '/stats')) as Record<string, unknown>;
        out(body, () => statsText(body));
        return EXIT_OK;
      }
      case 'clients': {
        noArguments(sub, args);
        const query = { ...paging, prefix: values.prefix, username: values.username, listener: values.listener };
        const body = (await callAdminApi(target, 'GET', '/clients', query)) as Page;
        out(body, () => clientsText(body['clients'] as ClientRow[], body));
        return EXIT_OK;
      }
      case 'client': {
        if (args.length !== 1) throw new UsageError('client needs one CLIENT_ID');
        const body = (await callAdminApi(
          target,
          'GET',
          `/clients/${encodeURIComponent(args[0] as string)}`,
        )) as ClientDetailRow;
        out(body, () => clientText(body));
        return EXIT_OK;
      }
      case 'reload': {
        noArguments(sub, args);
        const body = (await callAdminApi(target, 'POST', '/reload', {}, [409])) as ReloadOutcome;
        out(body, () => reloadText(body));
        return body.applied && body.failures.length === 0 ? EXIT_OK : EXIT_FAILURE;
      }
      case 'kick': {
        if (args.length !== 1) throw new UsageError('kick needs one CLIENT_ID');
        const body = (await callAdminApi(target, 'POST', `/clients/${encodeURIComponent(args[0] as string)}/kick`)) as {
          clientId: string;
          disconnected: number;
        };
        out(body, () => `kicked ${body.clientId} (${body.disconnected} connection(s) closed)\n`);
        return EXIT_OK;
      }
      case 'sessions': {
        noArguments(sub, args);
        if (values.connected === true && values.offline === true)
          throw new UsageError('--connected and --offline: give one of them');
        const connected = values.connected === true ? 'true' : values.offline === true ? 'false' : undefined;
        const body = (await callAdminApi(target, 'GET', '/sessions', {
          ...paging,
          prefix: values.prefix,
          connected,
        })) as Page;
        out(body, () => sessionsText(body['sessions'] as SessionRow[], body));
        return EXIT_OK;
      }
      case 'delete-session': {
        if (args.length !== 1) throw new UsageError('delete-session needs one CLIENT_ID');
        const id = args[0] as string;
        const body = (await callAdminApi(target, 'DELETE', `/sessions/${encodeURIComponent(id)}`)) as {
          clientId: string;
        };
        out(body, () => `deleted the session of ${body.clientId}\n`);
        return EXIT_OK;
      }
      case 'retained': {
        if (args.length > 1) throw new UsageError('retained takes at most one FILTER');
        const body = (await callAdminApi(target, 'GET', '/retained', { ...paging, filter: args[0] })) as Page;
        out(body, () => retainedText(body['messages'] as RetainedRow[], body));
        return EXIT_OK;
      }
    }
  } catch (err) {
    if (err instanceof AdminApiError) {
      writeLine(io.stderr, `midge ctl: ${err.message}`);
      return EXIT_FAILURE;
    }
    return reportError(io.stderr, 'ctl', err);
  }
}

function noArguments(sub: string, args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`${sub} takes no argument (got '${args[0]}')`);
}

/** URL and token from flags, else the environment; the token file's first line (as the plugin reads it). */
async function targetOf(values: {
  url?: string;
  token?: string;
  'token-file'?: string;
  timeout?: string;
}): Promise<AdminTarget> {
  const url = values.url ?? process.env['MIDGE_ADMIN_URL'] ?? DEFAULT_ADMIN_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL (e.g. ${DEFAULT_ADMIN_URL})`);
  }
  if (values.token !== undefined && values['token-file'] !== undefined)
    throw new UsageError('--token and --token-file: give one of them');
  let token = values.token ?? process.env['MIDGE_ADMIN_TOKEN'];
  const file = values['token-file'] ?? (values.token === undefined ? process.env['MIDGE_ADMIN_TOKEN_FILE'] : undefined);
  if (file !== undefined) {
    try {
      token = (await readFile(file, 'utf8')).split(/\r?\n/)[0]?.trim();
    } catch (err) {
      throw new AdminApiError(`cannot read the token file ${file}: ${(err as Error).message}`);
    }
  }
  const seconds = values.timeout === undefined ? 10 : (intFlag('--timeout', values.timeout, 1, 3600) ?? 10);
  return { url, token: token === '' ? undefined : token, timeoutMs: seconds * 1000 };
}

/** A page of rows as a table, with a line saying when more match than are shown; `empty` when none match. */
function pageText<R>(
  rows: readonly R[],
  page: { total: number; offset: number },
  empty: string,
  columns: readonly Column<R>[],
): string {
  if (page.total === 0) return `${empty}\n`;
  const more =
    rows.length < page.total
      ? `(${rows.length} of ${page.total} shown from ${page.offset}; --limit and --offset page)\n`
      : '';
  return formatTable(rows, columns) + more;
}

function clientsText(rows: readonly ClientRow[], page: { total: number; offset: number }): string {
  return pageText(rows, page, 'no client connected (that matches)', [
    { title: 'CLIENT ID', value: (r) => r.clientId },
    { title: 'USERNAME', value: (r) => r.username ?? '-' },
    { title: 'LISTENER', value: (r) => r.listener },
    { title: 'ADDRESS', value: (r) => `${r.remoteAddress}:${r.remotePort}` },
    { title: 'MQTT', value: (r) => (r.protocolVersion === 5 ? '5.0' : r.protocolVersion === 4 ? '3.1.1' : '3.1') },
    { title: 'CONNECTED SINCE', value: (r) => r.connectedAt },
  ]);
}

function sessionsText(rows: readonly SessionRow[], page: { total: number; offset: number }): string {
  return pageText(rows, page, 'no session (that matches)', [
    { title: 'CLIENT ID', value: (r) => r.clientId },
    { title: 'USERNAME', value: (r) => r.username ?? '-' },
    { title: 'STATE', value: (r) => (r.connected ? 'connected' : 'offline') },
    { title: 'SUBS', value: (r) => String(r.subscriptions) },
    { title: 'QUEUED', value: (r) => String(r.queued) },
    { title: 'INFLIGHT', value: (r) => String(r.inflight) },
    { title: 'EXPIRY', value: (r) => (r.expiryInterval === null ? 'default' : `${r.expiryInterval} s`) },
  ]);
}

function retainedText(rows: readonly RetainedRow[], page: { total: number; offset: number }): string {
  return pageText(rows, page, 'no retained message (that matches)', [
    { title: 'TOPIC', value: (r) => r.topic },
    { title: 'QOS', value: (r) => String(r.qos) },
    { title: 'BYTES', value: (r) => String(r.size) },
    {
      title: 'PAYLOAD',
      value: (r) => `${r.encoding === 'base64' ? 'base64:' : ''}${r.payload}${r.truncated ? '…' : ''}`,
    },
  ]);
}

/** What a reload did, as SIGHUP logs it: each change, failure, setting needing a restart; or the config's errors. */
function reloadText(r: ReloadOutcome): string {
  if (!r.applied)
    return `${['the config has errors: nothing changed, the running config stays', ...r.errors.map((e) => `  ${e}`)].join('\n')}\n`;
  const lines = [
    ...r.changes.map((c) => `changed: ${c}`),
    ...r.failures.map((f) => `failed: ${f}`),
    ...r.needsRestart.map((k) => `needs a restart: ${k} changed, the running value stays`),
  ];
  return `${lines.length === 0 ? 'reloaded: no change (plugins re-read their files)' : ['reloaded:', ...lines.map((l) => `  ${l}`)].join('\n')}\n`;
}

function clientText(d: ClientDetailRow): string {
  const expiry = d.expiryInterval === null ? 'default' : `${d.expiryInterval} s`;
  const rows: [string, string][] = [
    ['client id', d.clientId],
    ['username', d.username ?? '-'],
    ['state', d.connected ? `connected since ${d.connectedAt ?? '?'}` : 'offline'],
    ['address', `${d.remoteAddress}:${d.remotePort} on ${d.listener}`],
    ['MQTT', d.protocolVersion === 5 ? '5.0' : d.protocolVersion === 4 ? '3.1.1' : '3.1'],
    ['session', d.persistent ? `persistent, expiry ${expiry}` : 'clean'],
    ['queued', `${d.queued} (${d.queuedBytes} bytes)`],
    ['inflight out / QoS 2 in', `${d.inflight} / ${d.inboundQos2}`],
    [
      'subscriptions',
      d.subscriptions.length === 0
        ? 'none'
        : d.subscriptions.map((s) => `${s.filter} (QoS ${s.qos}${s.noLocal ? ', no local' : ''})`).join(', '),
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

function statsText(body: Record<string, unknown>): string {
  const stats = (body['stats'] ?? {}) as Record<string, unknown>;
  const connections = (body['connections'] ?? {}) as Record<string, number>;
  const rows: [string, string][] = [
    ['version', String(body['version'])],
    ['started', `${String(body['startedAt'])} (up ${String(body['uptimeSeconds'])} s)`],
    [
      'connections',
      Object.keys(connections).length === 0
        ? '0'
        : Object.entries(connections)
            .map(([l, n]) => `${l}: ${n}`)
            .join(', '),
    ],
    ['sessions', String(body['sessions'])],
    ['subscriptions', String(body['subscriptions'])],
    ['retained messages', String(stats['retainedCount'])],
    ['messages received', String(stats['messagesReceived'])],
    ['messages sent', String(stats['messagesSent'])],
    ['bytes received', String(stats['bytesReceived'])],
    ['bytes sent', String(stats['bytesSent'])],
    ['inflight in / out', `${String(stats['inflightIn'])} / ${String(stats['inflightOut'])}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}
