import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quietBuild, startFolder } from './start-task.mjs';

/** Collects what quietBuild writes. */
function sink() {
  let text = '';
  return { stream: { write: (s) => (text += s) }, text: () => text };
}

describe('npm start', () => {
  it('shows nothing of a build that succeeds', () => {
    const out = sink();
    const status = quietBuild([process.execPath, '-e', "console.log('Tasks: 12 successful'); console.error('turbo')"], {
      stderr: out.stream,
    });
    expect(status).toBe(0);
    expect(out.text()).toBe('');
  });

  it("shows a failed build's output and says the build failed, with its exit status", () => {
    const out = sink();
    const status = quietBuild(
      [
        process.execPath,
        '-e',
        "console.log('src/a.ts(1,1): error TS1005'); console.error('ELIFECYCLE'); process.exit(3)",
      ],
      { stderr: out.stream },
    );
    expect(status).toBe(3);
    expect(out.text()).toContain('src/a.ts(1,1): error TS1005');
    expect(out.text()).toContain('ELIFECYCLE');
    expect(out.text()).toMatch(/the build failed/);
  });

  it('runs the broker in the folder npm start was typed in (INIT_CWD), else the current one', () => {
    expect(startFolder({ INIT_CWD: '/home/me/project/sub' }, '/repo')).toBe('/home/me/project/sub');
    expect(startFolder({}, '/repo')).toBe('/repo');
    expect(startFolder({ INIT_CWD: '' }, '/repo')).toBe('/repo');
  });

  it('gives the repository `npx midge` (the CLI linked into the root node_modules/.bin)', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const r = spawnSync(join(root, 'node_modules', '.bin', 'midge'), ['--version'], {
      encoding: 'utf8',
      cwd: join(root, 'docs'),
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^midge \S+ \(node v/);
  });
});
