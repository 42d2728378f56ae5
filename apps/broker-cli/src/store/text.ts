/** `midge store inspect` for people: a summary, then tables. */
import type { ProtocolVersion } from '@midge/mqtt-core';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatExpiryInterval,
  formatTable,
  formatTime,
  NEVER_EXPIRES,
  printable,
} from './format.js';
import type {
  MessageSummary,
  SessionDetail,
  SessionSummary,
  StoreLocation,
  StoreReport,
  WillSummary,
} from './report.js';

const PROTOCOL_NAMES: Record<ProtocolVersion, string> = { 3: '3.1', 4: '3.1.1', 5: '5' };

/** The whole store; `retainedFilter` is the `--retained` filter the retained list was narrowed to. */
export function reportText(where: StoreLocation, report: StoreReport, now: number, retainedFilter?: string): string {
  const t = report.totals;
  const delayed = t.delayedWills > 0 ? ` (${formatCount(t.delayedWills)} delayed)` : '';
  const out = [
    `store: ${where.store} in ${where.path}`,
    '',
    fields([
      ['sessions', `${formatCount(t.sessions)} (${formatCount(t.connected)} connected)`],
      ['queued messages', formatCount(t.queued)],
      ['inflight', formatCount(t.inflight)],
      ['inbound QoS 2', formatCount(t.inboundQos2)],
      ['wills', `${formatCount(t.wills)}${delayed}`],
      ['retained', `${formatCount(t.retained)} (${formatBytes(t.retainedBytes)})`],
    ]),
  ];
  if (report.sessions.length > 0) out.push('', 'SESSIONS', sessionTable(report.sessions, now));
  if (report.wills.length > 0) out.push('', 'WILLS', willTable(report.wills, now));
  if (retainedFilter !== undefined) {
    out.push('', `RETAINED matching ${printable(retainedFilter)}: ${formatCount(report.retained.length)}`);
    if (report.retained.length > 0) out.push(retainedTable(report.retained, now));
  } else if (report.retained.length > 0) {
    out.push('', 'RETAINED', retainedTable(report.retained, now));
  }
  return `${out.join('\n')}\n`;
}

/** One session (`--client`); `total` queued messages, of which `detail.queue` are the oldest. */
export function sessionText(where: StoreLocation, detail: SessionDetail, now: number): string {
  const s = detail.summary;
  const out = [
    `session ${printable(s.clientId)} in ${where.store} in ${where.path}`,
    '',
    fields([
      ['owner', owner(s)],
      ['MQTT', PROTOCOL_NAMES[s.protocolVersion]],
      ['state', state(s, now)],
      ['expiry interval', expiry(s, now)],
      ['subscriptions', formatCount(s.subscriptions)],
      ['queued messages', formatCount(s.queued)],
      ['inflight', formatCount(s.inflight)],
      ['inbound QoS 2', detail.inboundQos2.length === 0 ? 'none' : `packet ids ${detail.inboundQos2.join(', ')}`],
    ]),
  ];
  if (detail.subscriptions.length > 0) {
    out.push(
      '',
      'SUBSCRIPTIONS',
      formatTable(
        [
          { title: 'FILTER' },
          { title: 'QOS' },
          { title: 'NO LOCAL' },
          { title: 'RETAIN AS PUBLISHED' },
          { title: 'ID' },
        ],
        detail.subscriptions.map((sub) => [
          printable(sub.topic),
          String(sub.qos),
          yesNo(sub.noLocal),
          yesNo(sub.retainAsPublished),
          sub.subscriptionId === undefined ? '-' : String(sub.subscriptionId),
        ]),
      ),
    );
  }
  if (detail.inflight.length > 0) {
    out.push(
      '',
      'INFLIGHT',
      formatTable(
        [{ title: 'PACKET ID', right: true }, { title: 'STATE' }, ...MESSAGE_COLUMNS],
        detail.inflight.map((m) => [String(m.packetId), m.state, ...messageCells(m, now)]),
      ),
    );
  }
  if (detail.queue.length > 0) {
    const shown =
      detail.queue.length < s.queued ? `first ${formatCount(detail.queue.length)} of ${formatCount(s.queued)}` : 'all';
    out.push(
      '',
      `QUEUED (${shown}, oldest first)`,
      formatTable(
        [{ title: 'SEQ', right: true }, ...MESSAGE_COLUMNS],
        detail.queue.map((m) => [String(m.seq), ...messageCells(m, now)]),
      ),
    );
  }
  if (detail.will !== undefined) out.push('', 'WILL', willTable([detail.will], now));
  return `${out.join('\n')}\n`;
}

const MESSAGE_COLUMNS = [{ title: 'TOPIC' }, { title: 'QOS' }, { title: 'SIZE', right: true }, { title: 'EXPIRES' }];

function messageCells(m: MessageSummary, now: number): string[] {
  return [printable(m.topic), String(m.qos), formatBytes(m.payloadBytes), messageExpiry(m, now)];
}

function sessionTable(sessions: readonly SessionSummary[], now: number): string {
  return formatTable(
    [
      { title: 'CLIENT ID' },
      { title: 'OWNER' },
      { title: 'MQTT' },
      { title: 'EXPIRY', right: true },
      { title: 'SUBS', right: true },
      { title: 'QUEUED', right: true },
      { title: 'INFLIGHT', right: true },
      { title: 'STATE' },
    ],
    sessions.map((s) => [
      printable(s.clientId),
      owner(s),
      PROTOCOL_NAMES[s.protocolVersion],
      formatExpiryInterval(s.expiryInterval),
      formatCount(s.subscriptions),
      formatCount(s.queued),
      formatCount(s.inflight),
      state(s, now),
    ]),
  );
}

function willTable(wills: readonly WillSummary[], now: number): string {
  return formatTable(
    [
      { title: 'CLIENT ID' },
      { title: 'TOPIC' },
      { title: 'QOS' },
      { title: 'SIZE', right: true },
      { title: 'DELAY', right: true },
      { title: 'DUE' },
    ],
    wills.map((w) => [
      printable(w.clientId),
      printable(w.topic),
      String(w.qos),
      formatBytes(w.payloadBytes),
      w.delay === 0 ? '-' : formatDuration(w.delay),
      w.publishAt === undefined ? 'when its client disconnects' : formatTime(w.publishAt, now),
    ]),
  );
}

function retainedTable(retained: readonly MessageSummary[], now: number): string {
  return formatTable(
    MESSAGE_COLUMNS,
    retained.map((m) => messageCells(m, now)),
  );
}

/** `label  value` lines, values aligned. */
function fields(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

function owner(s: SessionSummary): string {
  if (s.username === undefined) return '(not stored)';
  return s.username === null ? 'anonymous' : printable(s.username);
}

function state(s: SessionSummary, now: number): string {
  return s.disconnectedAt === undefined ? 'connected' : `disconnected since ${formatTime(s.disconnectedAt, now)}`;
}

/** The interval, and when a disconnected session with one expires. */
function expiry(s: SessionSummary, now: number): string {
  const interval = formatExpiryInterval(s.expiryInterval);
  if (s.expiryInterval === undefined) return `${interval} (the broker's session_expiry_interval)`;
  if (s.disconnectedAt === undefined || s.expiryInterval >= NEVER_EXPIRES) return interval;
  const at = s.disconnectedAt + s.expiryInterval * 1000;
  // A store read while its broker is down may hold sessions past their expiry: the broker ends them at start.
  return `${interval} (${at <= now ? 'expired' : 'expires'} ${formatTime(at, now)})`;
}

function messageExpiry(m: MessageSummary, now: number): string {
  return m.expiresAt === undefined ? 'never' : formatTime(m.expiresAt, now);
}

function yesNo(flag: boolean | undefined): string {
  return flag === true ? 'yes' : 'no';
}
