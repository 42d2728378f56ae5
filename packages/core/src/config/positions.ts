/**
 * Where each key of a YAML config was written, so every problem can be reported as `file:line:col`, not
 * only syntax errors. Built from js-yaml's event stream (parseEvents), which carries source offsets: the
 * config is parsed once, and the same events construct the value (load.ts).
 */
import { EVENT_ID, getScalarValue, SCALAR_STYLE, type Event } from 'js-yaml';
import { formatPath, parsePath, type PathSegment } from './issues.js';
import type { ConfigIssue } from './types.js';

/** A place in the config file: 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

interface Container {
  /** The container's path; undefined inside a complex (non-scalar) mapping key, which has no path. */
  readonly path: PathSegment[] | undefined;
  readonly kind: 'mapping' | 'sequence' | 'document';
  /** Mapping: the key whose value comes next (undefined while a key is expected). */
  key?: PathSegment[] | undefined;
  expectingKey: boolean;
  index: number;
}

/**
 * Paths (formatPath) → where they were written: a mapping entry at its key, a list item at its start.
 * Also knows the paths the aMQTT translation renamed (`renames`, translated → as written), so an issue
 * found after translation points at what the user wrote.
 */
export class ConfigPositions {
  readonly #byPath: ReadonlyMap<string, SourcePosition>;
  readonly #renames: ReadonlyMap<string, readonly PathSegment[]>;
  readonly #replaced: ReadonlySet<string>;

  constructor(
    byPath: ReadonlyMap<string, SourcePosition>,
    renames: ReadonlyMap<string, readonly PathSegment[]> = new Map(),
    replaced: ReadonlySet<string> = new Set(),
  ) {
    this.#byPath = byPath;
    this.#renames = renames;
    this.#replaced = replaced;
  }

  /** The same positions, knowing which translated paths stand for which written ones. */
  withRenames(renames: ReadonlyMap<string, readonly PathSegment[]>): ConfigPositions {
    return new ConfigPositions(this.#byPath, new Map([...this.#renames, ...renames]), this.#replaced);
  }

  /**
   * The same positions, less the paths (and everything under them) whose values came from elsewhere (the
   * command line): a problem of such a value is not at the file's line for the key.
   */
  withoutPaths(paths: readonly (readonly PathSegment[])[]): ConfigPositions {
    const replaced = new Set([...this.#replaced, ...paths.map((p) => formatPath(p))]);
    return new ConfigPositions(this.#byPath, this.#renames, replaced);
  }

  /**
   * Where `path` was written, or its closest written ancestor (a missing key is reported where its
   * mapping is); undefined when nothing of it is in the file (a value from an override or a default).
   */
  locate(path: string): SourcePosition | undefined {
    let segments = parsePath(path);
    if (segments === undefined) return undefined;
    for (let n = 1; n <= segments.length; n++)
      if (this.#replaced.has(formatPath(segments.slice(0, n)))) return undefined;
    for (let n = segments.length; n > 0; n--) {
      const renamed = this.#renames.get(formatPath(segments.slice(0, n)));
      if (renamed !== undefined) {
        segments = [...renamed, ...segments.slice(n)];
        break;
      }
    }
    for (let n = segments.length; n > 0; n--) {
      const at = this.#byPath.get(formatPath(segments.slice(0, n)));
      if (at !== undefined) return at;
    }
    return undefined;
  }

  /** `issue` with the line and column of its path, unless it has them already or its path is not in the file. */
  annotate<T extends ConfigIssue>(issue: T): T {
    if (issue.line !== undefined) return issue;
    const at = this.locate(issue.path);
    return at === undefined ? issue : { ...issue, line: at.line, column: at.column };
  }
}

/** Offset → 1-based line and column, by binary search over the offsets where lines start. */
function positionFinder(text: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  };
}

/** Where a node starts: its anchor or tag when written before it, the opening quote of a quoted scalar. */
function nodeStart(event: Event): number | undefined {
  let start: number;
  switch (event.type) {
    case EVENT_ID.SCALAR: {
      const quoted = event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
      start = quoted ? event.valueStart - 1 : event.valueStart;
      break;
    }
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      start = event.start;
      break;
    case EVENT_ID.ALIAS:
      return event.anchorStart - 1;
    case EVENT_ID.DOCUMENT:
    case EVENT_ID.POP:
      return undefined;
  }
  for (const other of [event.anchorStart - 1, event.tagStart - 1]) if (other >= 0 && other < start) start = other;
  return start;
}

/**
 * The positions of the first document of `events` (parsed from `text`). Keys are as js-yaml constructs
 * them (a plain-object mapping stringifies scalar keys), so the paths match the loaded value's.
 */
export function yamlPositions(text: string, events: readonly Event[]): ConfigPositions {
  const byPath = new Map<string, SourcePosition>();
  const at = positionFinder(text);
  const stack: Container[] = [];
  let documents = 0;
  const record = (path: PathSegment[] | undefined, event: Event): void => {
    const offset = nodeStart(event);
    if (path === undefined || path.length === 0 || offset === undefined) return;
    const key = formatPath(path);
    if (!byPath.has(key)) byPath.set(key, at(offset));
  };
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) {
      // Only one document is accepted (load.ts); positions of any other would name the wrong place.
      documents++;
      stack.push({ path: documents === 1 ? [] : undefined, kind: 'document', expectingKey: false, index: 0 });
      continue;
    }
    if (event.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    const parent = stack[stack.length - 1];
    let path: PathSegment[] | undefined;
    if (parent === undefined) continue;
    if (parent.kind === 'mapping' && parent.expectingKey) {
      // A key: only scalar keys have a path; a collection used as a key is skipped with its contents.
      parent.expectingKey = false;
      parent.key =
        parent.path !== undefined && event.type === EVENT_ID.SCALAR
          ? [...parent.path, getScalarValue(text, event)]
          : undefined;
      record(parent.key, event);
      path = undefined;
    } else if (parent.kind === 'mapping') {
      parent.expectingKey = true;
      path = parent.key;
    } else if (parent.kind === 'sequence') {
      path = parent.path === undefined ? undefined : [...parent.path, parent.index];
      parent.index++;
      record(path, event);
    } else {
      path = parent.path;
    }
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
      const kind = event.type === EVENT_ID.MAPPING ? 'mapping' : 'sequence';
      stack.push({ path, kind, expectingKey: kind === 'mapping', index: 0 });
    }
  }
  return new ConfigPositions(byPath);
}
