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
 *   | 27   | -W timeout reached (mosquitto_sub's code)                                        |
 */
import { MqttClient, type ClientMessage } from '@midge/mqtt-core/client';
import type { SubscribeProperties } from '@midge/mqtt-core';
import { intFlag, parseCommandArgs, UsageError } from '../args.js';
import { takePropertyFlags } from './v5-properties.js';
import type { CommandIO } from '../io.js';
import { EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';
import {
  CLIENT_FLAGS,
  CLIENT_FLAGS_HELP,
  clientOptionsFrom,
  qosFlag,
  withConnectProperties,
} from './client-options.js';
import { formatMessage } from './output-format.js';

const OPTIONS = {
  ...CLIENT_FLAGS,
  count: { type: 'string', short: 'C' },
  verbose: { type: 'boolean', short: 'v' },
  timeout: { type: 'string', short: 'W' },
  format: { type: 'string', short: 'F' },
  'no-eol': { type: 'boolean', short: 'N' },
  'remove-retained': { type: 'boolean', short: 'R' },
  'exit-after-subscribe': { type: 'boolean', short: 'E' },
  unsubscribe: { type: 'string', short: 'U', multiple: true },
} as const;

/** mosquitto_sub's exit code when -W runs out. */
export const EXIT_TIMED_OUT = 27;

export const SUB_HELP = `Usage: midge sub -t FILTER [-t FILTER...] [options]

Subscribes to an MQTT broker and prints each message's payload on its own line.

Subscribing:
  -t, --topic FILTER       topic filter (+ and # wildcards); repeat for more
  -q, --qos 0|1|2          maximum QoS (default 0)
  -C, --count N            exit after N messages
  -W, --timeout SECONDS    exit after SECONDS (from the connection on), with code 27
  -R, --remove-retained    do not print retained (stale) messages
  -E, --exit-after-subscribe
                           exit once the subscriptions are acknowledged
  -U, --unsubscribe FILTER unsubscribe FILTER first (a persistent session's old subscription); repeat
                           for more; alone (no -t) it unsubscribes and exits
Output:
  -v, --verbose            print 'topic payload' instead of the payload
  -N, --no-eol             no newline after each payload
  -F, --format FORMAT      print each message through FORMAT, mosquitto_sub's tokens: %t topic,
                           %p payload, %q QoS, %r retain, %l length, %x/%X hex, %j JSON, %I ISO time,
                           %U Unix time, %% percent; \n \t \\ \0 escapes; no newline added
${CLIENT_FLAGS_HELP}
Ends on Ctrl-C. Exit codes: 0 ok, 1 connection/protocol failure, 2 usage error, 27 -W timeout.
`;

export async function runSub(argv: string[], io: CommandIO): Promise<number> {
  let client: MqttClient | undefined;
  try {
    const flags = takePropertyFlags(argv, ['connect', 'subscribe']);
    const { values } = parseCommandArgs('sub', flags.argv, OPTIONS);
    if (values.help === true) {
      io.stdout.write(SUB_HELP);
      return EXIT_OK;
    }
    if (values.version === true) {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    const filters = values.topic ?? [];
    const unsubscribe = values.unsubscribe ?? [];
    if (filters.length === 0 && unsubscribe.length === 0)
      throw new UsageError('at least one topic filter is needed: -t FILTER (or -U FILTER to unsubscribe)');
    const qos = qosFlag('-q', values.qos) ?? 0;
    const count = intFlag('-C', values.count, 1, Number.MAX_SAFE_INTEGER);
    const timeoutSeconds = intFlag('-W', values.timeout, 1, 2_147_483);
    if (values.format !== undefined && values.verbose === true) throw new UsageError('give either -F or -v, not both');
    const output: Output = {
      verbose: values.verbose === true,
      eol: values['no-eol'] !== true,
      ...(values.format !== undefined ? { format: values.format } : {}),
    };
    const skipRetained = values['remove-retained'] === true;
    const options = withConnectProperties(clientOptionsFrom(values, io), flags);
    const subscribeProperties = flags.properties.subscribe as SubscribeProperties | undefined;
    if (io.signal?.aborted === true) return EXIT_OK;

    const c = (client = new MqttClient({ ...options, reconnectRetries: -1 }));
    let failure: Error | undefined;
    // Only the final error matters here (the client gave up); transient ones are retried.
    c.on('error', (err) => {
      if (c.state === 'closed') failure = err;
    });
    const stop = () => void c.disconnect();
    io.signal?.addEventListener('abort', stop, { once: true });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Iterate before subscribing so retained messages sent right after SUBACK are not missed.
      const messages = c.messages();
      await c.connect();
      if (timeoutSeconds !== undefined)
        timer = setTimeout(() => {
          timedOut = true;
          stop();
        }, timeoutSeconds * 1000);
      if (unsubscribe.length > 0) await c.unsubscribe(unsubscribe);
      if (filters.length > 0)
        await c.subscribe(filters, {
          qos,
          ...(subscribeProperties !== undefined ? { properties: subscribeProperties } : {}),
        });
      if (filters.length > 0 && values['exit-after-subscribe'] !== true) {
        let seen = 0;
        for await (const m of messages) {
          if (skipRetained && m.retain) continue;
          print(io.stdout, m, output);
          if (count !== undefined && ++seen >= count) break;
        }
      }
    } finally {
      clearTimeout(timer);
      io.signal?.removeEventListener('abort', stop);
    }
    await c.disconnect();
    if (timedOut) {
      writeLine(io.stderr, 'Timed out');
      return EXIT_TIMED_OUT;
    }
    if (failure !== undefined) throw failure;
    return EXIT_OK;
  } catch (err) {
    await client?.end(true);
    return reportError(io.stderr, 'sub', err);
  }
}

interface Output {
  readonly verbose: boolean;
  /** A newline after each payload or formatted message (-N: none). */
  readonly eol: boolean;
  readonly format?: string;
}

function print(out: NodeJS.WritableStream, m: ClientMessage, o: Output): void {
  if (o.format !== undefined) {
    // mosquitto_sub ends a formatted message with a newline too, unless -N.
    out.write(o.eol ? Buffer.concat([formatMessage(o.format, m), NEWLINE]) : formatMessage(o.format, m));
    return;
  }
  // Payloads are bytes: write them as they came, not through a string conversion.
  const parts = o.verbose ? [Buffer.from(`${m.topic} `), m.payload] : [m.payload];
  if (o.eol) parts.push(NEWLINE);
  out.write(Buffer.concat(parts));
}

const NEWLINE = Buffer.from('\n');
