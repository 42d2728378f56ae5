import { expect, it } from 'vitest';
import { createBroker, ErrorCodes, MidgeError, nullLogger } from '@midge/mqtt-core';
import { createTestBroker } from '@midge/mqtt-core/testing';
import { coreReadme, exampleCode, printedBy } from '../readme-example.js';

// The README's error-code example, run as is; the test below checks the README still shows this exact code.
async function example(): Promise<void> {
  // README:start
  const first = await createTestBroker();
  // A second broker on the same port cannot listen: start() rejects with a MidgeError.
  const config = { listeners: { default: { type: 'tcp', bind: `127.0.0.1:${first.port}` } }, plugins: {} } as const;
  const second = await createBroker(config, { logger: nullLogger });
  try {
    await second.start();
  } catch (err) {
    if (!(err instanceof MidgeError)) throw err;
    console.log(err.code, ErrorCodes[err.code].errorClass);
    console.log(ErrorCodes[err.code].hint);
  }
  await second.close();
  await first.close();
  // README:end
}

it('the README error-code example runs and prints what the README says', async () => {
  const lines = await printedBy(example);
  expect(lines).toEqual([
    'LISTENER_BIND MidgeError',
    'Choose another port or bind address, or stop the process that uses it.',
  ]);

  const readme = coreReadme();
  expect(readme).toContain(exampleCode(new URL(import.meta.url)));
  expect(readme).toContain(lines.join('\n'));
});
