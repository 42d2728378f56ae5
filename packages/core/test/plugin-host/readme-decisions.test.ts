/** packages/core/README.md, "How decisions combine". */
import { expect, it } from 'vitest';
import { abstain, allow, createBroker, definePlugin, deny } from '@midge/mqtt-core';
import { connect } from '@midge/mqtt-core/client';
import { coreReadme, exampleCode, printedBy } from '../readme-example.js';

// The README's example, run as is; the test below checks the README still shows this exact code.
async function example(): Promise<void> {
  // README:start
  // Grants each user their own tree and has no opinion on anything else.
  const ownTree = definePlugin({
    name: 'own-tree',
    apiVersion: 1,
    setup: () => ({
      authorizeTopic: ({ client, topic }) => (topic.startsWith(`users/${client.username}/`) ? allow : abstain),
    }),
  });
  // Only forbids: a veto never grants.
  const noSecrets = definePlugin({
    name: 'no-secrets',
    apiVersion: 1,
    setup: () => ({ vetoTopic: ({ topic }) => (topic.includes('secret') ? deny('secret') : abstain) }),
  });

  for (const default_decision of ['deny', 'allow'] as const) {
    const broker = await createBroker(
      {
        listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } },
        plugins: {},
        log_level: 'warn',
        default_decision,
      },
      { plugins: [ownTree, noSecrets] },
    );
    await broker.start();
    const bob = await connect(`mqtt://bob@127.0.0.1:${broker.listeners()[0]?.port}`);
    for (const filter of ['users/bob/#', 'users/bob/secret', 'news/#']) {
      const answer = await bob.subscribe(filter).then(
        () => 'granted',
        () => 'refused',
      );
      console.log(`default_decision ${default_decision}: ${filter} ${answer}`);
    }
    await bob.end();
    await broker.close();
  }
  // README:end
}

it('the README example runs and prints what the README says', async () => {
  const lines = await printedBy(example);
  expect(lines).toEqual([
    'default_decision deny: users/bob/# granted',
    'default_decision deny: users/bob/secret refused',
    'default_decision deny: news/# refused',
    'default_decision allow: users/bob/# granted',
    'default_decision allow: users/bob/secret refused',
    'default_decision allow: news/# granted',
  ]);

  const readme = coreReadme();
  expect(readme).toContain(exampleCode(new URL(import.meta.url)));
  expect(readme).toContain(lines.join('\n'));
});
