// A process's resident memory split the way /proc/<pid>/status splits it: anonymous (heap, stacks, malloc)
// and file-backed (mapped files: for Midge, LMDB's data file; those pages are the page cache, which the
// kernel can drop when it needs the memory), so a figure of a broker with a memory-mapped store says which is which.
import { readFileSync } from 'node:fs';

/** { rss, anon, file } in bytes (NaN once the process is gone). */
export function memoryOf(pid) {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: Number.NaN, anon: Number.NaN, file: Number.NaN };
  }
  const kb = (field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m === null ? Number.NaN : Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

/** Samples memoryOf(pid) every `everyMs` until stop(), which returns the peaks of rss and of anon. */
export function memorySampler(pid, everyMs) {
  const peak = { rss: 0, anon: 0, file: 0 };
  const sample = () => {
    const m = memoryOf(pid);
    if (m.rss > peak.rss) peak.rss = m.rss;
    if (m.anon > peak.anon) peak.anon = m.anon;
    if (m.file > peak.file) peak.file = m.file;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
