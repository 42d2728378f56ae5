/**
 * True iff some topic name is matched by both (valid) filters `a` and `b`.
 *
 * Compared level by level: `#` matches whatever remains, including nothing (`a/#` matches `a`), `+`
 * matches any one level (even an empty one), literals must be equal. A filter starting with a wildcard
 * never matches a topic starting with `$` [MQTT-4.7.2-1], so `#` and `$SYS/x` share no topic.
 * Only the `$` rule looks at characters; a literal level starting with `$` below the first level is an
 * ordinary literal.
 */
export function filtersOverlap(a: string, b: string): boolean {
  const al = a.length;
  const bl = b.length;
  const a0 = a.charCodeAt(0);
  const b0 = b.charCodeAt(0);
  // A root wildcard against a `$` literal root: the wildcard cannot reach any `$` topic.
  if (isWildcard(a0) && b0 === DOLLAR) return false;
  if (isWildcard(b0) && a0 === DOLLAR) return false;
  let ai = 0;
  let bi = 0;
  for (;;) {
    let ae = a.indexOf('/', ai);
    if (ae < 0) ae = al;
    let be = b.indexOf('/', bi);
    if (be < 0) be = bl;
    const aHash = ae - ai === 1 && a.charCodeAt(ai) === HASH;
    const bHash = be - bi === 1 && b.charCodeAt(bi) === HASH;
    // '#' absorbs the rest of the other filter, whatever it is (the topic can be made as deep as needed).
    if (aHash || bHash) return true;
    const aPlus = ae - ai === 1 && a.charCodeAt(ai) === PLUS;
    const bPlus = be - bi === 1 && b.charCodeAt(bi) === PLUS;
    if (!aPlus && !bPlus) {
      if (ae - ai !== be - bi) return false;
      for (let k = 0; k < ae - ai; k++) if (a.charCodeAt(ai + k) !== b.charCodeAt(bi + k)) return false;
    }
    const aEnd = ae === al;
    const bEnd = be === bl;
    if (aEnd && bEnd) return true;
    if (aEnd) return restIsHash(b, be + 1);
    if (bEnd) return restIsHash(a, ae + 1);
    ai = ae + 1;
    bi = be + 1;
  }
}

/** `s.slice(from) === '#'`, without slicing: the only way a longer filter still matches the parent level. */
function restIsHash(s: string, from: number): boolean {
  return s.length - from === 1 && s.charCodeAt(from) === HASH;
}

const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

function isWildcard(c: number): boolean {
  return c === PLUS || c === HASH;
}
