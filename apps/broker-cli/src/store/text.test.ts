import { describe, expect, it } from 'vitest';
import { reportText, sessionText } from './text.js';
import type { SessionDetail, StoreReport } from './report.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const WHERE = { store: '@midge/persistence-lmdb', path: '/srv/midge-data' };

const REPORT: StoreReport = {
  totals: {
    sessions: 2,
    connected: 1,
    queued: 1204,
    inflight: 1,
    inboundQos2: 2,
    wills: 2,
    delayedWills: 1,
    retained: 2,
    retainedBytes: 3000,
  },
  sessions: [
    {
      clientId: 'alice-laptop',
      username: 'alice',
      protocolVersion: 5,
      disconnectedAt: NOW - 300_000,
      expiryInterval: 86_400,
      subscriptions: 2,
      queued: 1204,
      inflight: 1,
      inboundQos2: 2,
    },
    {
      clientId: 'sensor\n1',
      username: null,
      protocolVersion: 4,
      subscriptions: 1,
      queued: 0,
      inflight: 0,
      inboundQos2: 0,
    },
  ],
  wills: [
    {
      clientId: 'alice-laptop',
      topic: 'status/alice',
      qos: 1,
      retain: true,
      payloadBytes: 7,
      delay: 30,
      publishAt: NOW + 25_000,
      username: 'alice',
    },
    { clientId: 'sensor\n1', topic: 'status/sensor', qos: 0, retain: false, payloadBytes: 0, delay: 0, username: null },
  ],
  retained: [
    { topic: 'config/a', qos: 1, retain: true, payloadBytes: 2900, expiresAt: NOW + 3_600_000 },
    { topic: 'status/alice', qos: 0, retain: true, payloadBytes: 100 },
  ],
};

describe('reportText', () => {
  it('writes the totals, then a table each of sessions, wills and retained messages', () => {
    expect(reportText(WHERE, REPORT, NOW)).toBe(`store: @midge/persistence-lmdb in /srv/midge-data

sessions         2 (1 connected)
queued messages  1,204
inflight         1
inbound QoS 2    2
wills            2 (1 delayed)
retained         2 (2.9 KiB)

SESSIONS
CLIENT ID      OWNER      MQTT    EXPIRY  SUBS  QUEUED  INFLIGHT  STATE
alice-laptop   alice      5           1d     2   1,204         1  disconnected since 2026-12-04 11:55:00Z (5m ago)
sensor\\u000a1  anonymous  3.1.1  default     1       0         0  connected

WILLS
CLIENT ID      TOPIC          QOS  SIZE  DELAY  DUE
alice-laptop   status/alice   1     7 B    30s  2026-12-04 12:00:25Z (in 25s)
sensor\\u000a1  status/sensor  0     0 B      -  when its client disconnects

RETAINED
TOPIC         QOS     SIZE  EXPIRES
config/a      1    2.8 KiB  2026-12-04 13:00:00Z (in 1h)
status/alice  0      100 B  never
`);
  });

  it('says how many retained messages match a --retained filter, none included', () => {
    const text = reportText(WHERE, { ...REPORT, retained: [] }, NOW, 'nothing/#');
    expect(text.endsWith('\nRETAINED matching nothing/#: 0\n')).toBe(true);
  });
});

describe('sessionText', () => {
  const detail: SessionDetail = {
    summary: REPORT.sessions[0]!,
    subscriptions: [
      { topic: 'a/#', qos: 2, noLocal: true, subscriptionId: 4 },
      { topic: 'b', qos: 0 },
    ],
    queue: [
      { seq: 17, topic: 'a/1', qos: 1, retain: false, payloadBytes: 12 },
      { seq: 18, topic: 'a/2', qos: 2, retain: false, payloadBytes: 2048, expiresAt: NOW - 1000 },
    ],
    inflight: [{ packetId: 9, state: 'pubrel', topic: 'a/0', qos: 2, retain: false, payloadBytes: 5 }],
    inboundQos2: [3, 4],
    will: REPORT.wills[0]!,
  };

  it('writes the header fields, subscriptions with options, inflight, the oldest queued messages and the will', () => {
    expect(sessionText(WHERE, detail, NOW)).toBe(`session alice-laptop in @midge/persistence-lmdb in /srv/midge-data

owner            alice
MQTT             5
state            disconnected since 2026-12-04 11:55:00Z (5m ago)
expiry interval  1d (expires 2026-12-05 11:55:00Z (in 23h 55m))
subscriptions    2
queued messages  1,204
inflight         1
inbound QoS 2    packet ids 3, 4

SUBSCRIPTIONS
FILTER  QOS  NO LOCAL  RETAIN AS PUBLISHED  ID
a/#     2    yes       no                   4
b       0    no        no                   -

INFLIGHT
PACKET ID  STATE   TOPIC  QOS  SIZE  EXPIRES
        9  pubrel  a/0    2     5 B  never

QUEUED (first 2 of 1,204, oldest first)
SEQ  TOPIC  QOS     SIZE  EXPIRES
 17  a/1    1       12 B  never
 18  a/2    2    2.0 KiB  2026-12-04 11:59:59Z (1s ago)

WILL
CLIENT ID     TOPIC         QOS  SIZE  DELAY  DUE
alice-laptop  status/alice  1     7 B    30s  2026-12-04 12:00:25Z (in 25s)
`);
  });
});
