/**
 * The dashboard's page and assets at `/` of the admin server: a fixed map of files read once at setup
 * (no path from the request ever reaches the file system), served with their content types and a strict
 * Content-Security-Policy: scripts and styles from this server only, data from its API only. uPlot's
 * files come from its npm package (bundled with this one: the page needs no network beyond this server).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function own(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../assets/${name}`, import.meta.url)));
}

function uplot(file: string): Buffer {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve(`uplot/dist/${file}`));
}

/** Path → file, all read now: a missing asset fails the plugin's setup, not a request later. */
export function loadDashboardAssets(): ReadonlyMap<string, Asset> {
  return new Map<string, Asset>([
    ['/', { type: 'text/html; charset=utf-8', body: own('index.html') }],
    ['/dashboard/app.js', { type: 'text/javascript; charset=utf-8', body: own('app.js') }],
    ['/dashboard/app.css', { type: 'text/css; charset=utf-8', body: own('app.css') }],
    ['/dashboard/uplot.js', { type: 'text/javascript; charset=utf-8', body: uplot('uPlot.iife.min.js') }],
    ['/dashboard/uplot.css', { type: 'text/css; charset=utf-8', body: uplot('uPlot.min.css') }],
  ]);
}

export function registerDashboard(app: FastifyInstance, assets: ReadonlyMap<string, Asset>): void {
  for (const [path, asset] of assets)
    app.get(path, async (_req, reply) =>
      reply
        .header('content-type', asset.type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', path === '/' ? 'no-cache' : 'public, max-age=300')
        .send(asset.body),
    );
}
