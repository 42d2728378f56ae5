/**
 * Test helpers for the Prometheus text format (0.0.4): a strict parser (what a scrape must be able to
 * read) and `promtool check metrics` when Prometheus' own tool is installed.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  type: string | undefined;
  help: string | undefined;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(s: string, line: string): number {
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`bad value '${s}' in: ${line}`);
  return Number(s);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL.exec(rest);
    if (m === null) throw new Error(`bad labels in: ${line}`);
    const [all, key = '', value = ''] = m;
    if (key in labels) throw new Error(`label ${key} twice in: ${line}`);
    labels[key] = value.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

/** Parses the text format strictly: every sample under a `# TYPE` family of its name, no series twice. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, type: undefined, help: undefined, samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      const f = family(name);
      if (kind === 'TYPE') {
        if (f.type !== undefined || f.samples.length > 0) throw new Error(`TYPE after samples or twice: ${line}`);
        if (!(rest in SUFFIXES)) throw new Error(`unknown type in: ${line}`);
        f.type = rest;
      } else f.help = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    const [, name = '', labelText = '', value = ''] = m;
    const owner = [...families.values()].find(
      (f) => f.type !== undefined && (SUFFIXES[f.type] ?? []).some((s) => name === f.name + s),
    );
    if (owner === undefined) throw new Error(`sample of no declared family: ${line}`);
    const sample = { name, labels: parseLabels(labelText, line), value: parseValue(value, line) };
    const key = `${name}{${Object.entries(sample.labels)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}}`;
    if (seen.has(key)) throw new Error(`series twice: ${line}`);
    seen.add(key);
    owner.samples.push(sample);
  }
  return families;
}

/** The value of one series (`labels` must match exactly), or undefined. */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const f of families.values())
    for (const s of f.samples)
      if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want) return s.value;
  return undefined;
}

/** `promtool` from PROMTOOL or the PATH, or undefined when it is not installed. */
export function findPromtool(): string | undefined {
  const candidates = [
    process.env['PROMTOOL'],
    ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'promtool')),
  ];
  for (const c of candidates) {
    if (c === undefined || c === '') continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `promtool check metrics` on `text`: its exit status and what it said. */
export function promtoolCheck(promtool: string, text: string): { status: number | null; output: string } {
  const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
