/**
 * Names of the client-id registry in NATS: its JetStream key-value bucket, the key of a client id in it,
 * and the subject a node answers session handovers on. All derive from the cluster's subject prefix, so
 * two clusters on one NATS never share a registry.
 */

/** Client ids longer than this (UTF-8 bytes) are not registered: their key would pass NATS's subject limits. */
export const MAX_REGISTERED_CLIENT_ID_BYTES = 1024;

/** The registry's KV bucket: `midge_clients` for the prefix `midge` (`acme.mqtt` → `acme_mqtt_clients`). */
export function registryBucket(prefix: string): string {
  return `${prefix.replaceAll('.', '_')}_clients`;
}

/**
 * The key of a client id: its UTF-8 bytes in base64url (letters, digits, `-`, `_`: a valid KV key for
 * any client id, which may hold dots, spaces or `*`). Undefined for an id too long to register.
 */
export function clientIdKey(clientId: string): string | undefined {
  const bytes = Buffer.from(clientId, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_REGISTERED_CLIENT_ID_BYTES) return undefined;
  return bytes.toString('base64url');
}

/** The client id a registry key stands for (the inverse of `clientIdKey`). */
export function clientIdOfKey(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}

/** Where `node` answers requests to hand a session over (node names are subject tokens already). */
export function handoverSubject(prefix: string, node: string): string {
  return `${prefix}.handover.${node}`;
}
