#!/usr/bin/env node
/**
 * The `midge` binary: runs the command, then exits with its code. The broker itself runs in a Node
 * started with its young generation sized (relaunch.ts), so this loads nothing else before deciding.
 */
import { fileURLToPath } from 'node:url';
import { obeyRelayedSignals } from './obeyed-signals.js';
import { endAs, relaunch } from './relaunch.js';

const argv = process.argv.slice(2);
const relaunched = relaunch(fileURLToPath(import.meta.url), argv);
if (relaunched !== undefined) endAs(await relaunched);

obeyRelayedSignals();
const { runCli } = await import('./cli.js');
const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
// Exit explicitly: a plugin timer or a half-open socket must not keep a finished command alive.
process.exit(code);
