/**
 * Names of the cluster's retained store in NATS: one JetStream stream per cluster, holding the last
 * retained value of each topic under `<prefix>.retain.<topic as subject>` (the topic mapped as message
 * subjects are, subject.ts), so two clusters on one NATS never share it.
 */
import { MAX_SUBJECT_BYTES, subjectBytes, topicSubject } from './subject.js';

/** The token after the prefix under which retained values are kept. */
export const RETAIN_TOKEN = 'retain';

/** The stream: `midge_retained` for the prefix `midge` (`acme.mqtt` → `acme_mqtt_retained`). */
export function retainedStream(prefix: string): string {
  return `${prefix.replaceAll('.', '_')}_retained`;
}

/** The subjects' common start: `<prefix>.retain`. */
export function retainedRoot(prefix: string): string {
  return `${prefix}.${RETAIN_TOKEN}`;
}

/** The subject of `topic`'s retained value, or undefined when it would be longer than NATS takes (`MAX_SUBJECT_BYTES`). */
export function retainedSubject(root: string, topic: string): string | undefined {
  const subject = topicSubject(root, topic);
  return subjectBytes(subject) > MAX_SUBJECT_BYTES ? undefined : subject;
}
