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
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { MqttClient } from '@midge/mqtt-core/client';
import type { PublishProperties } from '@midge/mqtt-core';
import { intFlag, parseCommandArgs, UsageError } from '../args.js';
import { takePropertyFlags } from './v5-properties.js';
import type { CommandIO } from '../io.js';
import { EXIT_FAILURE, EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';
import {
  CLIENT_FLAGS,
  CLIENT_FLAGS_HELP,
  clientOptionsFrom,
  NOT_IN_MIDGE,
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
  repeat: { type: 'string' },
  'repeat-delay': { type: 'string' },
  quiet: { type: 'boolean' },
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
  --repeat N               publish the message N times (with -m, -f, -n or -s)
  --repeat-delay SECONDS   wait SECONDS (decimals allowed) between the --repeat publishes
  --quiet                  print no error messages (the exit code still tells)
${CLIENT_FLAGS_HELP}
Exit codes: 0 published, 1 connection/protocol failure, 2 usage error.
`;

export async function runPub(argv: string[], io: CommandIO): Promise<number> {
  let client: MqttClient | undefined;
  let quiet = false;
  try {
    const flags = takePropertyFlags(argv, ['connect', 'publish']);
    const { values } = parseCommandArgs('pub', flags.argv, OPTIONS, false, NOT_IN_MIDGE);
    quiet = values.quiet === true;
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
    const repeat = intFlag('--repeat', values.repeat, 1, Number.MAX_SAFE_INTEGER) ?? 1;
    const repeatDelay = secondsFlag('--repeat-delay', values['repeat-delay']) ?? 0;
    if (values['stdin-line'] === true && (values.repeat !== undefined || values['repeat-delay'] !== undefined))
      throw new UsageError('--repeat and --repeat-delay repeat one message: not with -l');
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
    } else {
      let payload: string | Buffer = fromFile ?? values.message ?? '';
      if (values['stdin-file'] === true) {
        const chunks: Buffer[] = [];
        for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        payload = Buffer.concat(chunks);
      }
      for (let i = 0; i < repeat; i++) {
        if (i > 0 && repeatDelay > 0) await sleep(repeatDelay * 1000);
        await publish(payload);
      }
    }
    await client.disconnect();
    return EXIT_OK;
  } catch (err) {
    await client?.end(true);
    // --quiet silences failures, not command-line mistakes: those are the user's to see.
    if (quiet && !(err instanceof UsageError)) return EXIT_FAILURE;
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

/** A duration in seconds, decimals allowed (`--repeat-delay 0.5`). */
function secondsFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 2_147_483)
    throw new UsageError(`${name} must be a number of seconds from 0 to 2147483, got '${value}'`);
  return n;
}

function isFileError(err: unknown): err is NodeJS.ErrnoException & { path: string } {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).path === 'string' &&
    typeof (err as NodeJS.ErrnoException).code === 'string'
  );
}
