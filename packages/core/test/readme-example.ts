/**
 * README examples as tests: run the example (the body of a function whose code sits between
 * `// README:start` and `// README:end` in the test file), collect what it console.logs, and read the
 * example's code back from the test file so the test can check the README shows exactly that code.
 */
import { readFileSync } from 'node:fs';
import { vi } from 'vitest';

/** Runs `example` with console.log captured; returns the printed lines. */
export async function printedBy(example: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    await example();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

/** The example's code as the README shows it: the marked block of `testFile`, one indent level less. */
export function exampleCode(testFile: URL): string {
  const source = readFileSync(testFile, 'utf8');
  const body = /\/\/ README:start\n([\s\S]*?)\n\s*\/\/ README:end/.exec(source)?.[1];
  // Without the markers the README check would compare against '' and pass on anything.
  if (body === undefined || body.trim() === '')
    throw new Error(`${testFile.pathname}: no // README:start ... // README:end block`);
  return body.replace(/^ {2}/gm, '');
}

/** packages/core/README.md */
export function coreReadme(): string {
  return readFileSync(new URL('../README.md', import.meta.url), 'utf8');
}
