/**
 * Names of the persistent sessions' state in NATS JetStream, derived from the cluster's subject prefix
 * (two clusters on one NATS never share them): the bucket of session records and the stream of the QoS 1/2
 * messages kept for them, on one subject (a session's messages are found by time and matched here).
 */

/** `midge_sessions` for the prefix `midge` (`acme.mqtt` → `acme_mqtt_sessions`). */
export function sessionsBucket(prefix: string): string {
  return `${prefix.replaceAll('.', '_')}_sessions`;
}

/** `midge_session_messages` for the prefix `midge`. */
export function sessionMessagesStream(prefix: string): string {
  return `${prefix.replaceAll('.', '_')}_session_messages`;
}

/** The one subject of the stored messages: `<prefix>.stored`. */
export function sessionMessagesSubject(prefix: string): string {
  return `${prefix}.stored`;
}
