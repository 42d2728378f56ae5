#!/usr/bin/env node
/** The `midge` binary: runs the command, then exits with its code. */
import './young-generation.js'; // first: before other modules grow V8's young generation
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
// Exit explicitly: a plugin timer or a half-open socket must not keep a finished command alive.
process.exit(code);
