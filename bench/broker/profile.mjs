#!/usr/bin/env node
// Sums self time per function over V8 .cpuprofile files (node --cpu-prof) and prints the top ones.
//   node bench/broker/profile.mjs <file-or-folder>... [--top N]
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

function profileFiles(target) {
  if (!existsSync(target)) return [];
  if (statSync(target).isDirectory()) {
    return readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(target, f));
  }
  return [target];
}

/** Self time (ms) per "function file:line", summed over the profiles. */
export function selfTimes(files) {
  const totals = new Map();
  let all = 0;
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map();
    // timeDeltas[i] is the time before sample i; attribute it to the sampled node.
    for (let i = 0; i < prof.samples.length; i++) {
      const id = prof.samples[i];
      self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
    }
    for (const [id, us] of self) {
      const cf = byId.get(id).callFrame;
      const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/(packages|node_modules)\//, '$1/') : '';
      const key = `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
      totals.set(key, (totals.get(key) ?? 0) + us / 1000);
      all += us / 1000;
    }
  }
  return { totals, all };
}

export function summarize(files, top = 20) {
  if (files.length === 0) return '  (no profile found)';
  const { totals, all } = selfTimes(files);
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  const busy = all - (totals.get('(idle)') ?? 0);
  const lines = [
    `  ${files.length} profile(s), ${(all / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (% of busy time, idle excluded)`,
  ];
  for (const [name, ms] of rows) {
    if (name === '(idle)') continue;
    lines.push(`  ${((ms / busy) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
  }
  return lines.join('\n');
}

export function summarizeProfileDir(dirs, top = 20) {
  return summarize(dirs.flatMap(profileFiles), top);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--top');
  const top = t >= 0 ? Number(args[t + 1]) : 25;
  const targets = args.filter((a, i) => a !== '--top' && (t < 0 || i !== t + 1));
  console.log(summarize(targets.flatMap(profileFiles), top));
}
