/**
 * ACL entry patterns: `%u` (username) and `%c` (client id) placeholders, parsed once and substituted
 * per client. Its own module so that both the topic ACL (acl.ts) and the client id rules
 * (client-ids.ts) read placeholders alike without importing each other.
 */

const USER = 0;
const CLIENT = 1;
/** The `%u` slot in a parsed pattern's parts (client-ids.ts reads it too). */
export const PLACEHOLDER_USER = USER;
type Slot = typeof USER | typeof CLIENT;

/** An entry with `%u` / `%c`: literal pieces and slots, in order. */
export interface Pattern {
  readonly source: string;
  readonly parts: readonly (string | Slot)[];
}

/** Splits an entry at `%u` / `%c`; undefined when it has neither (the common case). */
export function parsePattern(source: string): Pattern | undefined {
  if (!/%[uc]/.test(source)) return undefined;
  const parts: (string | Slot)[] = [];
  let literal = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '%' && (next === 'u' || next === 'c')) {
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push(next === 'u' ? USER : CLIENT);
      i++;
    } else {
      literal += c;
    }
  }
  if (literal !== '') parts.push(literal);
  return { source, parts };
}

/**
 * The entry for this client, or undefined when it does not apply: `%u` for a client without a
 * username, or a username / client id that is empty or contains `+`, `#`, `/` or U+0000 (it would
 * widen the entry), or a substitution that would put `$` first in an entry that did not start with it.
 */
export function substitute(pattern: Pattern, username: string | undefined, clientId: string): string | undefined {
  let out = '';
  for (const part of pattern.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = part === USER ? username : clientId;
    if (value === undefined || !isSafeValue(value)) return undefined;
    out += value;
  }
  if (out.charCodeAt(0) === DOLLAR && pattern.source.charCodeAt(0) !== DOLLAR) return undefined;
  return out;
}

/** `$`: the first character of topics reserved for the server. */
export const DOLLAR = 0x24;

function isSafeValue(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2b || c === 0x23 || c === 0x2f || c === 0) return false;
  }
  return true;
}
