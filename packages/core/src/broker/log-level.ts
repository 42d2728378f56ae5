/**
 * The log level changed by a config reload. The Logger interface has no setter: pino loggers (what
 * `createLogger` makes, and what most embedders pass) have a writable `level`, and child loggers keep the
 * level they were made with, so each logger that must follow is set. Other loggers are left as they are.
 */
import type { Logger } from '../plugin-api/types.js';

interface PinoLike {
  level: string;
  onChild: (child: PinoLike) => void;
}

/** Per followed logger, the children made from it and from them (weakly held: a child may be dropped). */
const descendants = new WeakMap<object, WeakRef<PinoLike>[]>();

function isPinoLike(logger: Logger): logger is Logger & PinoLike {
  const l = logger as Logger & Partial<PinoLike>;
  return typeof l.level === 'string' && typeof l.onChild === 'function';
}

/**
 * Makes `setLogLevel(logger, ...)` reach the children made from `logger` later (a plugin's own
 * `logger.child(...)`), at any depth: pino calls `onChild` for each child, and children inherit it.
 */
export function followChildLevels(logger: Logger): void {
  if (!isPinoLike(logger) || descendants.has(logger)) return;
  const list: WeakRef<PinoLike>[] = [];
  descendants.set(logger, list);
  const previous = logger.onChild;
  logger.onChild = (child: PinoLike) => {
    // Dead references are pruned as children come, so the list stays the size of the live ones.
    if (list.length >= 64 && list.length % 64 === 0) {
      const live = list.filter((r) => r.deref() !== undefined);
      list.length = 0;
      list.push(...live);
    }
    list.push(new WeakRef(child));
    previous.call(logger, child);
  };
}

export function setLogLevel(logger: Logger, level: string): void {
  const target = logger as Logger & { level?: unknown };
  if (typeof target.level !== 'string') return;
  target.level = level;
  for (const ref of descendants.get(logger) ?? []) {
    const child = ref.deref();
    if (child !== undefined) child.level = level;
  }
}
