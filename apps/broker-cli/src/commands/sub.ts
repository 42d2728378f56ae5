/**
 * `midge sub`: subscribe and print messages until interrupted or -C messages arrived, like mosquitto_sub.
 * It reconnects (and re-subscribes) forever after a lost connection, like mosquitto_sub.
 *
 * Exit codes, for scripts:
 *   | code | meaning                                                                          |
 *   |------|----------------------------------------------------------------------------------|
 *   | 0    | ended normally: -C count reached, or interrupted (SIGINT)                        |
 *   | 1    | connection or protocol failure (refused, unreachable, TLS, subscription refused) |
 *   | 2    | usage error (unknown flag, bad value, missing -t); see --help                    |
 */
import { MqttClient, type ClientMessage } from '@midge/mqtt-core/client';
import { intFlag, parseCommandArgs, UsageError } from '../args.js';
import type { CommandIO } from '../io.js';
import { EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';
import { CLIENT_FLAGS, CLIENT_FLAGS_HELP, clientOptionsFrom, qosFlag } from './client-options.js';

const OPTIONS = {
  ...CLIENT_FLAGS,
  count: { type: 'string', short: 'C' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

export const SUB_HELP = `Usage: midge sub -t FILTER [-t FILTER...] [options]

Subscribes to an MQTT broker and prints each message's payload on its own line.

Subscribing:
  -t, --topic FILTER       topic filter (+ and # wildcards); repeat for more
  -q, --qos 0|1|2          maximum QoS (default 0)
  -C, --count N            exit after N messages
  -v, --verbose            print 'topic payload' instead of the payload
${CLIENT_FLAGS_HELP}
Ends on Ctrl-C. Exit codes: 0 ok, 1 connection/protocol failure, 2 usage error.
`;

export async function runSub(argv: string[], io: CommandIO): Promise<number> {
  let client: MqttClient | undefined;
  try {
    const { values } = parseCommandArgs('sub', argv, OPTIONS);
    if (values.help === true) {
      io.stdout.write(SUB_HELP);
      return EXIT_OK;
    }
    if (values.version === true) {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    const filters = values.topic ?? [];
    if (filters.length === 0) throw new UsageError('at least one topic filter is needed: -t FILTER');
    const qos = qosFlag('-q', values.qos) ?? 0;
    const count = intFlag('-C', values.count, 1, Number.MAX_SAFE_INTEGER);
    const verbose = values.verbose === true;
    const options = clientOptionsFrom(values, io);
    if (io.signal?.aborted === true) return EXIT_OK;

    const c = (client = new MqttClient({ ...options, reconnectRetries: -1 }));
    let failure: Error | undefined;
    // Only the final error matters here (the client gave up); transient ones are retried.
    c.on('error', (err) => {
      if (c.state === 'closed') failure = err;
    });
    const stop = () => void c.disconnect();
    io.signal?.addEventListener('abort', stop, { once: true });
    try {
      // Iterate before subscribing so retained messages sent right after SUBACK are not missed.
      const messages = c.messages();
      await c.connect();
      await c.subscribe(filters, { qos });
      let seen = 0;
      for await (const m of messages) {
        print(io.stdout, m, verbose);
        if (count !== undefined && ++seen >= count) break;
      }
    } finally {
      io.signal?.removeEventListener('abort', stop);
    }
    await c.disconnect();
    if (failure !== undefined) throw failure;
    return EXIT_OK;
  } catch (err) {
    await client?.end(true);
    return reportError(io.stderr, 'sub', err);
  }
}

function print(out: NodeJS.WritableStream, m: ClientMessage, verbose: boolean): void {
  // Payloads are bytes: write them as they came, not through a string conversion.
  out.write(
    verbose ? Buffer.concat([Buffer.from(`${m.topic} `), m.payload, NEWLINE]) : Buffer.concat([m.payload, NEWLINE]),
  );
}

const NEWLINE = Buffer.from('\n');
