import { createHmac, randomBytes } from 'node:crypto';

/** What a secret is replaced with in a log line. */
export const REDACTED = '<redacted>';

/**
 * A per-process key for `usernameTag`: tags correlate lines of this process (the same refused name
 * twice gives the same tag) but cannot be reversed offline by hashing a password list.
 */
const TAG_KEY = randomBytes(32);

/**
 * A username that no authentication has accepted yet (a CONNECT being read, a refused CONNECT), as it
 * may be logged: its length and a short keyed hash, never its characters. A refused username is often
 * a password typed into the wrong field.
 */
export function redactedUsername(username: string): string {
  const tag = createHmac('sha256', TAG_KEY).update(username).digest('hex').slice(0, 8);
  return `<redacted: ${username.length} chars, #${tag}>`;
}

/**
 * v5 properties as they may be logged: Authentication Data (SCRAM proofs, tokens) redacted, User
 * Property values redacted with their names kept (names say what a value is, values carry the
 * tokens), Correlation Data reduced to its length like payloads.
 */
export function redactProperties(properties: object): Record<string, unknown> {
  const { authenticationData, userProperties, correlationData, ...rest } = properties as {
    authenticationData?: Buffer;
    userProperties?: readonly (readonly [string, string])[];
    correlationData?: Buffer;
  };
  const out: Record<string, unknown> = rest;
  if (authenticationData !== undefined) out.authenticationData = REDACTED;
  if (userProperties !== undefined) out.userProperties = userProperties.map(([name]) => [name, REDACTED]);
  if (correlationData !== undefined) out.correlationDataBytes = correlationData.length;
  return out;
}
