/** `midge [broker]`: parse the flags, then check the config or run the broker. */
import { LOG_LEVELS, type LogLevel } from '@midge/mqtt-core';
import { intFlag, parseCommandArgs, UsageError } from '../args.js';
import { runCheck } from '../broker/check.js';
import { configOverrides, configSource, type BrokerFlags } from '../broker/config-source.js';
import { serve } from '../broker/serve.js';
import { BROKER_HELP } from '../help.js';
import type { CommandIO } from '../io.js';
import { EXIT_OK, reportError, writeLine } from '../report.js';
import { versionLine } from '../version.js';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'log-level': { type: 'string' },
  'data-dir': { type: 'string' },
  'in-memory': { type: 'boolean' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export async function runBroker(argv: string[], io: CommandIO): Promise<number> {
  let label: string | undefined;
  try {
    const { values, positionals } = parseCommandArgs('broker', argv, OPTIONS, true);
    if (values.help === true) {
      io.stdout.write(BROKER_HELP);
      return EXIT_OK;
    }
    if (values.version === true) {
      writeLine(io.stdout, versionLine());
      return EXIT_OK;
    }
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument '${positionals[0]}' (a config file is given with -c FILE)`);
    }
    const flags = brokerFlags(values);
    const src = configSource(flags.config);
    label = src.label;
    const overrides = await configOverrides(src, flags);
    if (values.check === true) return await runCheck(src, overrides, io);
    return await serve({ src, overrides, pretty: (io.stdout as { isTTY?: boolean }).isTTY === true });
  } catch (err) {
    return reportError(io.stderr, 'broker', err, label);
  }
}

function brokerFlags(values: {
  config?: string;
  port?: string;
  host?: string;
  verbose?: boolean;
  'log-level'?: string;
  'data-dir'?: string;
  'in-memory'?: boolean;
}): BrokerFlags {
  const level = values['log-level'];
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  }
  if (level !== undefined && values.verbose === true) throw new UsageError('give either -v or --log-level, not both');
  if (values.host === '') throw new UsageError('--host must not be empty');
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UsageError('--data-dir must not be empty');
  if (dataDir !== undefined && values['in-memory'] === true)
    throw new UsageError('give either --data-dir or --in-memory, not both');
  const port = intFlag('--port', values.port, 0, 65535);
  const logLevel = (level as LogLevel | undefined) ?? (values.verbose === true ? 'debug' : undefined);
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(values['in-memory'] === true ? { inMemory: true } : {}),
  };
}
