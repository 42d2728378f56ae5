// The offline-drain benchmark's table (Midge | Mosquitto | ratio) and issue 12's targets with verdicts.
import { BROKER_LABEL } from './brokers.mjs';

const MB = 1024 * 1024;
/** Issue 12's targets are stated for 1M queued messages. */
export const TARGET_QUEUED = 1_000_000;
export const TARGET_RSS_MB = 300;
export const TARGET_READY_S = 5;

/** Rows: [label, figure of one broker's result, 'no ratio' where Midge/Mosquitto means nothing]. */
const ROWS = [
  ['1. sessions created + subscribed (s)', (r) => r.create.ms / 1000],
  ['2. fill time (s)', (r) => r.fill.ms / 1000],
  ['   fill rate (msg/s PUBACKed)', (r) => r.fill.rate],
  ['   broker CPU, fill (% of a core)', (r) => r.fill.cpuPercent],
  ['   broker CPU per message, fill (µs)', (r) => r.fill.cpuUsPerMsg],
  ['   broker threads waiting for a CPU, fill (s)', (r) => r.fill.runQueueWaitSeconds, 'no ratio'],
  ['   load generator CPU, fill (% of a core)', (r) => r.fill.genCpuPercent, 'no ratio'],
  ['   broker peak RSS during fill (MB)', (r) => r.fill.peak.rss / MB],
  ['   broker RSS after fill, idle (MB)', (r) => r.fill.idle.rss / MB],
  ['     of which anonymous (heap, malloc)', (r) => r.fill.idle.anon / MB],
  ['     of which file-backed (mapped files)', (r) => r.fill.idle.file / MB],
  ['   data dir after fill (MB on disk)', (r) => r.fill.diskBytes / MB, 'no ratio'],
  ['3. shutdown, SIGTERM to exit (s)', (r) => r.restart.shutdownMs / 1000],
  ['   data dir after shutdown (MB on disk)', (r) => r.restart.diskBytes / MB],
  ['   ready to serve, spawn to CONNACK (s)', (r) => r.restart.readyMs / 1000],
  ['   broker CPU until ready (s)', (r) => r.restart.cpuSeconds],
  ['   broker threads waiting for a CPU until ready (s)', (r) => r.restart.runQueueWaitSeconds, 'no ratio'],
  ['   broker RSS when ready (MB)', (r) => r.restart.ready.rss / MB],
  ['     of which anonymous (heap, malloc)', (r) => r.restart.ready.anon / MB],
  ['     of which file-backed (mapped files)', (r) => r.restart.ready.file / MB],
  ['4. drain time (s)', (r) => r.drain.ms / 1000],
  ['   drain rate (msg/s delivered)', (r) => r.drain.rate],
  ['   all sessions connected after (s)', (r) => r.drain.allConnectedMs / 1000],
  ['   broker CPU, drain (% of a core)', (r) => r.drain.cpuPercent],
  ['   broker CPU per message, drain (µs)', (r) => r.drain.cpuUsPerMsg],
  ['   broker threads waiting for a CPU, drain (s)', (r) => r.drain.runQueueWaitSeconds, 'no ratio'],
  ['   load generator CPU, drain (% of a core)', (r) => r.drain.genCpuPercent, 'no ratio'],
  ['   broker peak RSS during drain (MB)', (r) => r.drain.peak.rss / MB],
  ['     peak anonymous during drain (MB)', (r) => r.drain.peak.anon / MB],
  ['   lost', (r) => r.drain.lost, 'no ratio'],
  ['   duplicated (no DUP flag)', (r) => r.drain.duplicated, 'no ratio'],
  ['   DUP resends (allowed)', (r) => r.drain.dupResends, 'no ratio'],
  ['   out of order', (r) => r.drain.outOfOrder, 'no ratio'],
  ['   wrong session or sequence', (r) => r.drain.foreign, 'no ratio'],
  ['   sessions without session present', (r) => r.drain.withoutSession, 'no ratio'],
  ['   connections closed by the broker', (r) => r.drain.closedEarly, 'no ratio'],
];

export function fmt(n) {
  if (!Number.isFinite(n)) return 'n/a';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function figure(result, pick) {
  if (result === undefined || result.error !== undefined) return Number.NaN;
  try {
    return pick(result);
  } catch {
    return Number.NaN;
  }
}

/** The markdown table of every phase's figures, one column per broker, and Midge/Mosquitto when both ran. */
export function table(results, kinds) {
  const both = kinds.includes('midge') && kinds.includes('mosquitto');
  const header = ['metric', ...kinds.map((k) => BROKER_LABEL[k]), ...(both ? ['Midge/Mosquitto'] : [])];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|---|${header
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
  ];
  for (const [label, pick, kind] of ROWS) {
    const values = kinds.map((k) => figure(results[k], pick));
    const cells = values.map((v, i) => (results[kinds[i]]?.error !== undefined ? 'failed' : fmt(v)));
    if (both) {
      const ratio = figure(results.midge, pick) / figure(results.mosquitto, pick);
      cells.push(kind !== 'no ratio' && Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '');
    }
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Issue 12's targets, for Midge: 1M queued messages held with broker RSS under 300 MB (after the fill, idle,
 * and when ready after the restart: both hold every queued message), and ready to serve in ≤ 5 s after a
 * restart. Below 1M queued messages the figures are printed without a verdict.
 */
export function targets(result, queued) {
  if (result === undefined || result.error !== undefined) return 'Midge did not complete: no verdict';
  const atScale = queued >= TARGET_QUEUED;
  const verdict = (ok) => (atScale ? (ok ? 'met' : 'MISSED') : `no verdict: ${fmt(queued)} queued, not 1M`);
  const { fill, restart, drain } = result;
  const held = Math.max(fill.idle.rss, restart.ready.rss) / MB;
  const anon = Math.max(fill.idle.anon, restart.ready.anon) / MB;
  const ready = restart.readyMs / 1000;
  return [
    `  1M queued messages held with broker RSS < ${TARGET_RSS_MB} MB: ${fmt(held)} MB ` +
      `(max of after fill ${fmt(fill.idle.rss / MB)} and after restart ${fmt(restart.ready.rss / MB)}; ` +
      `anonymous only ${fmt(anon)}; peak during fill ${fmt(fill.peak.rss / MB)}, during drain ${fmt(drain.peak.rss / MB)}): ` +
      verdict(held < TARGET_RSS_MB),
    `  restart with 1M queued messages ready to serve in ≤ ${TARGET_READY_S} s: ${fmt(ready)} s: ` +
      verdict(ready <= TARGET_READY_S),
  ].join('\n');
}
