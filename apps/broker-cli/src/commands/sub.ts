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
import { topicMatchesFilter, validateTopicFilter, type SubscribeProperties } from '@midge/mqtt-core';
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
import { now } from './format-time.js';
import { compileFormat, type CompiledFormat, type RenderContext } from './output-format.js';

const OPTIONS = {
  ...CLIENT_FLAGS,
  count: { type: 'string', short: 'C' },
  verbose: { type: 'boolean', short: 'v' },
  timeout: { type: 'string', short: 'W' },
  format: { type: 'string', short: 'F' },
  'no-eol': { type: 'boolean', short: 'N' },
  'skip-retained': { type: 'boolean', short: 'R' },
  'retained-only': { type: 'boolean' },
  'remove-retained': { type: 'boolean' },
  'filter-out': { type: 'string', short: 'T', multiple: true },
  'exit-after-subscribe': { type: 'boolean', short: 'E' },
  unsubscribe: { type: 'string', short: 'U', multiple: true },
  pretty: { type: 'boolean' },
  quiet: { type: 'boolean' },
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
  -R, --skip-retained      do not print retained (stale) messages
  -T, --filter-out FILTER  do not print (nor clear) messages whose topic matches FILTER; repeat for more
  --retained-only          print only retained messages; exit at the first message that is not
  --remove-retained        clear each retained message received (publish an empty retained message
                           to its topic); -T keeps some
  -E, --exit-after-subscribe
                           exit once the subscriptions are acknowledged
  -U, --unsubscribe FILTER unsubscribe FILTER first (a persistent session's old subscription); repeat
                           for more; alone (no -t) it unsubscribes and exits
Output:
  -v, --verbose            print 'topic payload' instead of the payload
  -N, --no-eol             no newline after each message
  -F, --format FORMAT      print each message through FORMAT, as mosquitto_sub -F (then a newline,
                           unless -N):
                           %t topic, %p payload, %q QoS, %r retain, %l length, %m message id,
                           %x/%X payload in hex, %j message as JSON, %J the same with the payload as
                           JSON, %I ISO 8601 time, %U Unix time, %% percent;
                           MQTT 5: %C content type, %D correlation data, %E message expiry,
                           %F payload format, %P user properties, %R response topic,
                           %S subscription id, %A topic alias;
                           @Y @m @d @H @M @S @s @z @F @T ... strftime (local time), @N nanoseconds;
                           \\n \\t \\a \\e \\0 \\\\ escapes; %-10t left-aligns in 10 columns, %05l
                           zero-pads, %.8t cuts at 8 bytes
  --pretty                 %j and %J on several indented lines
  --quiet                  print no error messages (the exit code still tells)
${CLIENT_FLAGS_HELP}
Ends on Ctrl-C. Exit codes: 0 ok, 1 connection/protocol failure, 2 usage error, 27 -W timeout.
`;

export async function runSub(argv: string[], io: CommandIO): Promise<number> {
  let client: MqttClient | undefined;
  let quietRun = false;
  try {
    const flags = takePropertyFlags(argv, ['connect', 'subscribe']);
    const { values } = parseCommandArgs('sub', flags.argv, OPTIONS, false, NOT_IN_MIDGE);
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
    const quiet = (quietRun = values.quiet === true);
    const output: Output = {
      verbose: values.verbose === true,
      eol: values['no-eol'] !== true,
      ...(values.format !== undefined ? { format: compileFormat(values.format) } : {}),
      context: {
        pretty: values.pretty === true,
        onInvalidJson: (topic) => {
          if (!quiet) writeLine(io.stderr, `midge sub: the payload on ${topic} is not JSON: %J left empty`);
        },
      },
    };
    const filterOut = values['filter-out'] ?? [];
    for (const f of filterOut) {
      const problem = validateTopicFilter(f, { maxLength: 0, maxLevels: 0 });
      if (problem !== undefined) throw new UsageError(`-T ${f}: ${problem}`);
    }
    const pick: Pick = {
      skipRetained: values['skip-retained'] === true,
      retainedOnly: values['retained-only'] === true,
      removeRetained: values['remove-retained'] === true,
      filterOut,
    };
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
        const clearing: Promise<void>[] = [];
        for await (const m of messages) {
          // In mosquitto_sub's order: --retained-only, -R, -T, --remove-retained, print, -C.
          if (pick.retainedOnly && !m.retain) break;
          if (pick.skipRetained && m.retain) continue;
          if (pick.filterOut.some((f) => topicMatchesFilter(f, m.topic))) continue;
          if (pick.removeRetained && m.retain) clearing.push(c.publish(m.topic, '', { qos: 1, retain: true }));
          print(io.stdout, m, output);
          if (count !== undefined && ++seen >= count) break;
        }
        // The broker must have every clearing message before we disconnect.
        await Promise.all(clearing);
      }
    } finally {
      clearTimeout(timer);
      io.signal?.removeEventListener('abort', stop);
    }
    await c.disconnect();
    if (timedOut) {
      if (!quietRun) writeLine(io.stderr, 'Timed out');
      return EXIT_TIMED_OUT;
    }
    if (failure !== undefined) throw failure;
    return EXIT_OK;
  } catch (err) {
    await client?.end(true);
    // --quiet silences failures, not command-line mistakes: those are the user's to see.
    if (quietRun && !(err instanceof UsageError)) return EXIT_FAILURE;
    return reportError(io.stderr, 'sub', err);
  }
}

/** Which received messages are printed (and cleared). */
interface Pick {
  readonly skipRetained: boolean;
  readonly retainedOnly: boolean;
  readonly removeRetained: boolean;
  readonly filterOut: readonly string[];
}

interface Output {
  readonly verbose: boolean;
  /** A newline after each payload or formatted message (-N: none). */
  readonly eol: boolean;
  readonly format?: CompiledFormat;
  readonly context: RenderContext;
}

function print(out: NodeJS.WritableStream, m: ClientMessage, o: Output): void {
  if (o.format !== undefined) {
    const text = o.format.render(m, now(), o.context);
    // mosquitto_sub ends a formatted message with a newline too, unless -N.
    out.write(o.eol ? Buffer.concat([text, NEWLINE]) : text);
    return;
  }
  // Payloads are bytes: write them as they came, not through a string conversion.
  const parts = o.verbose ? [Buffer.from(`${m.topic} `), m.payload] : [m.payload];
  if (o.eol) parts.push(NEWLINE);
  out.write(Buffer.concat(parts));
}

const NEWLINE = Buffer.from('\n');
