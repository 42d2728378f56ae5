/**
 * The dashboard in a real browser (Playwright's playwright-core driving Debian's chromium): login with the
 * token, charts, node health and plugins, a connected client found by search and kicked, the retained topic
 * tree with payloads (attacker-chosen text stays text), the live message tail. Saves the README's screenshot.
 * In CI a missing chromium fails this file (.ci/run installs it); elsewhere it is skipped.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient, createTestBroker, recordingLogger, type TestBroker } from '@midge/mqtt-core/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'dashboard-token';
const XSS = '<img src=x onerror="window.__pwned=1">';

describe.skipIf(!existsSync(CHROMIUM) && process.env['CI'] !== 'true')('the dashboard in chromium', () => {
  let dir = '';
  let tb: TestBroker;
  let base = '';
  let browser: Browser;
  let page: Page;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midge-dashboard-'));
    await writeFile(join(dir, 'admin.token'), `${TOKEN}\n`);
    const logger = recordingLogger();
    tb = await createTestBroker(
      {
        plugins: {
          '@midge/plugin-admin': { bind: '127.0.0.1:0', token_file: join(dir, 'admin.token') },
        },
      },
      { searchDirs: [packageDir], logger },
    );
    const record = logger.records.find((r) => /^admin server listening/.test(String(r.msg)));
    base = `http://127.0.0.1:${String((record?.obj as { port?: number } | undefined)?.port)}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await browser?.close();
    await tb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function mqtt(clientId: string, username?: string): Promise<RawClient> {
    const c = await RawClient.connect(tb.port);
    clients.push(c);
    const ack = await c.connect({ clientId, ...(username === undefined ? {} : { username }) });
    expect(ack.reasonCode).toBe(0);
    return c;
  }

  async function publish(c: RawClient, topic: string, payload: string, retain = false): Promise<void> {
    c.send({ type: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false, packetId: 1 });
    await c.expectPacket('puback');
  }

  it('asks for the token, and refuses a wrong one', async () => {
    await page.goto(base);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', 'not-the-token');
    await page.click('#login-form button');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/not the one of token_file/);
    expect(await page.isVisible('#app')).toBe(false);
  });

  it('shows charts, health and plugins once logged in', async () => {
    await page.fill('#token', TOKEN);
    await page.click('#login-form button');
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#chart-connections canvas').waitFor();
    await page.locator('#chart-rates canvas').waitFor();
    await expect.poll(() => page.textContent('#health')).toBe('ready');
    await expect.poll(() => page.textContent('#plugins tbody')).toContain('@midge/plugin-admin');
    await expect.poll(() => page.textContent('#checks')).toContain('listeners: 1 listener open');
  });

  it('lists a connected client, finds it by search, and kicks it', async () => {
    const sensor = await mqtt('sensor-42', 'ann');
    await mqtt('app-1');
    await page.fill('#client-search', 'sensor-');
    await expect.poll(() => page.textContent('#clients tbody')).toContain('sensor-42');
    expect(await page.textContent('#clients tbody')).not.toContain('app-1');
    await page.fill('#client-search', 'ann');
    await expect.poll(() => page.textContent('#clients tbody')).toContain('sensor-42');
    page.once('dialog', (d) => void d.accept());
    await page.locator('#clients tbody tr', { hasText: 'sensor-42' }).locator('button.kick').click();
    // The client sees its connection closed.
    await sensor.closed();
    await expect.poll(() => page.textContent('#clients tbody')).not.toContain('sensor-42');
    await page.fill('#client-search', '');
  });

  it("shows retained topics as a tree with their payloads, an attacker's markup as text", async () => {
    const pub = await mqtt('publisher');
    await publish(pub, 'home/kitchen/temp', '21.5', true);
    await publish(pub, `evil/${XSS}`, XSS, true);
    const leaf = page.locator('#topic-tree .leaf', { hasText: 'temp' });
    await leaf.waitFor({ timeout: 15_000 });
    await leaf.click();
    await expect.poll(() => page.textContent('#retained-payload')).toBe('21.5');
    const evil = page.locator('#topic-tree .leaf', { hasText: XSS });
    await evil.waitFor({ timeout: 15_000 });
    await evil.click();
    await expect.poll(() => page.textContent('#retained-payload')).toBe(XSS);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#topic-tree img').count()).toBe(0);
  });

  it('tails the messages of a filter typed in, and only those', async () => {
    await page.fill('#tail-filter', 'home/#');
    await page.click('#tail-form button[type=submit]');
    await expect.poll(() => page.textContent('#tail-status')).toBe('watching home/#');
    const pub = await mqtt('tail-publisher');
    // The stream is open once the broker counts a tail; publish until the first row shows.
    await expect
      .poll(async () => {
        await publish(pub, 'other/x', 'not this');
        await publish(pub, 'home/door', 'open');
        return page.textContent('#tail tbody');
      })
      .toContain('home/door');
    const rows = await page.locator('#tail tbody tr').allTextContents();
    expect(rows.some((r) => r.includes('open'))).toBe(true);
    expect(rows.some((r) => r.includes('other/x'))).toBe(false);

    // The README's picture, with some traffic on the charts.
    for (let i = 0; i < 20; i++) await publish(pub, `home/sensor/${i % 4}`, `{"t":${20 + (i % 5)}}`, i < 4);
    await page.waitForTimeout(5500);
    const docs = join(packageDir, 'docs');
    await mkdir(docs, { recursive: true });
    await page.screenshot({ path: join(docs, 'dashboard.png'), fullPage: true });
  }, 30_000);
});
