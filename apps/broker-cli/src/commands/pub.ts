/**
 * `midge pub`: publish one message (or one per stdin line) and exit, like mosquitto_pub.
 *
 * Exit codes, for scripts:
 *   | code | meaning                                                                   |
 *   |------|---------------------------------------------------------------------------|
 *   | 0    | every message was published (and acknowledged for QoS 1/2)                |
 *   | 1    | connection or protocol failure (refused, unreachable, TLS, unreadable -f) |
 *   | 2    | usage error (unknown flag, bad value, missing -t or message); see --help  |
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { MqttClient } from '@midge/mqtt-core/client';
import type { PublishProperties } from '@midge/mqtt-core';
import { parseCommandArgs, UsageError } from '../args.js';
import { takePropertyFlags } from './v5-properties.js';
import type { CommandIO } from '../io.js';
import { EXIT_FAILURE, EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';
import {
  CLIENT_FLAGS,
  CLIENT_FLAGS_HELP,
  clientOptionsFrom,
  qosFlag,
  withConnectProperties,
} from './client-options.js';

const OPTIONS = {
  ...CLIENT_FLAGS,
  message: { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
  'stdin-line': { type: 'boolean', short: 'l' },
  'null-message': { type: 'boolean', short: 'n' },
  'stdin-file': { type: 'boolean', short: 's' },
  retain: { type: 'boolean', short: 'r' },
} as const;

export const PUB_HELP = `Usage: midge pub -t TOPIC (-m MESSAGE | -f FILE | -l | -n | -s) [options]

Publishes to an MQTT broker and exits once the broker acknowledged (QoS 1/2).

Message (exactly one):
  -m, --message TEXT       this text
  -f, --file FILE          the content of FILE
  -l, --stdin-line         one message per line read from stdin
  -n, --null-message       an empty message (with -r: clears the retained message)
  -s, --stdin-file         all of stdin as one message
Publishing:
  -t, --topic TOPIC        topic to publish to
  -q, --qos 0|1|2          QoS (default 0)
  -r, --retain             retain the message
${CLIENT_FLAGS_HELP}
Exit codes: 0 published, 1 connection/protocol failure, 2 usage error.
`;

export async function runPub(argv: string[], io: CommandIO): Promise<number> {
  let client: MqttClient | undefined;
  try {
    const flags = takePropertyFlags(argv, ['connect', 'publish']);
    const { values } = parseCommandArgs('pub', flags.argv, OPTIONS);
    if (values.help === true) {
      io.stdout.write(PUB_HELP);
      return EXIT_OK;
    }
    if (values.version === true) {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    const topics = values.topic ?? [];
    if (topics.length !== 1)
      throw new UsageError(
        topics.length === 0 ? 'a topic is needed: -t TOPIC' : 'give -t once: pub publishes to one topic',
      );
    const topic = topics[0] as string;
    const sources = (['message', 'file', 'stdin-line', 'null-message', 'stdin-file'] as const).filter(
      (k) => values[k] !== undefined && values[k] !== false,
    );
    if (sources.length !== 1) throw new UsageError('give exactly one of -m MESSAGE, -f FILE, -l, -n or -s');
    const qos = qosFlag('-q', values.qos) ?? 0;
    const retain = values.retain === true;
    const options = withConnectProperties(clientOptionsFrom(values, io), flags);
    const publishProperties = flags.properties.publish as PublishProperties | undefined;
    // Read a file before connecting: a typo in the path should not cost a connection.
    const fromFile = values.file !== undefined ? await readFile(values.file) : undefined;

    // A one-shot publisher fails fast instead of retrying in the background.
    client = new MqttClient({ ...options, autoReconnect: false });
    await client.connect();
    const publish = (payload: string | Buffer) =>
      (client as MqttClient).publish(topic, payload, {
        qos,
        retain,
        ...(publishProperties !== undefined ? { properties: publishProperties } : {}),
      });
    if (values['stdin-line'] === true) {
      const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
      const stop = () => lines.close();
      io.signal?.addEventListener('abort', stop, { once: true });
      try {
        // One at a time: keeps the order and lets a slow broker slow the reader down.
        for await (const line of lines) await publish(line);
      } finally {
        io.signal?.removeEventListener('abort', stop);
      }
    } else if (values['stdin-file'] === true) {
      const chunks: Buffer[] = [];
      for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      await publish(Buffer.concat(chunks));
    } else {
      await publish(fromFile ?? values.message ?? '');
    }
    await client.disconnect();
    return EXIT_OK;
  } catch (err) {
    await client?.end(true);
    if (isFileError(err)) {
      writeLine(
        io.stderr,
        `midge pub: cannot read ${err.path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
      );
      return EXIT_FAILURE;
    }
    return reportError(io.stderr, 'pub', err);
  }
}

function isFileError(err: unknown): err is NodeJS.ErrnoException & { path: string } {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).path === 'string' &&
    typeof (err as NodeJS.ErrnoException).code === 'string'
  );
}
