/**
 * @midge/plugin-auth-jwt: the CONNECT password (or username) carries a JWT, verified against a JWKS
 * (file or URL) or an HMAC secret; the token's claims name the user and carry its topic rights.
 *
 * Decisions: no token, or something that is not shaped like a JWT → abstain (another plugin may know
 * the client); a valid token → allow, and its rights decide the client's topics; a bad token → deny
 * "bad username or password"; a token whose key cannot be fetched → deny "server unavailable".
 */
import { abstain, allow, allowAs, definePlugin, deny } from '@midge/mqtt-core';
import type { ClientInfo, Decision, PluginContext, PluginHooks, PluginMetric } from '@midge/mqtt-core';
import { checkKeys } from './check.js';
import { configSchema, resolveConfig } from './config.js';
import type { JwtAuthConfig, ResolvedConfig } from './config.js';
import { ExpiryTimers } from './expiry.js';
import { createKeySource } from './keys.js';
import type { KeySource } from './keys.js';
import { compileRights, decide } from './rights.js';
import type { Rights } from './rights.js';
import { looksLikeJwt, verifyToken } from './verify.js';

export { checkKeys } from './check.js';
export { configSchema, resolveConfig, HMAC_ALGORITHMS, PUBLIC_KEY_ALGORITHMS } from './config.js';
export type { Algorithm, JwtAuthConfig, ResolvedConfig } from './config.js';
export { createKeySource, parseJwks, secretFromFile } from './keys.js';
export type { KeySource } from './keys.js';
export { compileRights, decide, substitute } from './rights.js';
export type { CompiledRights, Rights } from './rights.js';
export { looksLikeJwt, verifyOptions, verifyToken } from './verify.js';
export type { VerifyOutcome } from './verify.js';

// 0x04 / 0x03 are the MQTT 3.1/3.1.1 CONNACK codes; 5.0 spells them 0x86 / 0x88.
/** How long an authenticated CONNECT may take to be admitted before its pending rights are dropped. */
const PENDING_MS = 60_000;
const BAD_V3 = deny('bad username or password', { reasonCode: 0x04 });
const BAD_V5 = deny('bad username or password', { reasonCode: 0x86 });
const UNAVAILABLE_V3 = deny('server unavailable', { reasonCode: 0x03 });
const UNAVAILABLE_V5 = deny('server unavailable', { reasonCode: 0x88 });

/** What the plugin keeps of one admitted connection. */
interface Admitted {
  readonly rights: Rights;
  /** The token's `exp` (epoch seconds), when it has one. */
  readonly exp: number | undefined;
}

type Outcome = 'allowed' | 'invalid' | 'unavailable' | 'mismatch';

/** The hooks for one configuration and key source: `setup` wraps it; exported for embedders with a key source of their own. */
export function createJwtAuth(ctx: PluginContext, config: ResolvedConfig, keys: KeySource): PluginHooks {
  // Keyed by the connection's ClientInfo: each CONNECT gets its own object, so a second connection with
  // the same client id (a takeover, a refused attempt) never reads or replaces this one's rights.
  /** The rights of each connected client, by the ClientInfo the broker hands every later hook. */
  const admitted = new WeakMap<ClientInfo, Admitted>();
  /**
   * Rights between authenticate and `client:connected`, by connection: a client this plugin names
   * (`allowAs`) reaches the later hooks as another ClientInfo object (with that username). Entries of a
   * CONNECT refused after authenticate (by another plugin) are swept after PENDING_MS.
   */
  const pending = new Map<string, { readonly entry: Admitted; readonly at: number }>();
  const connectionOf = (c: ClientInfo): string =>
    `${c.listener}\u0000${c.remoteAddress}\u0000${c.remotePort}\u0000${c.clientId}`;
  const expiries = new ExpiryTimers(ctx.broker);
  const counts: Record<Outcome, number> = { allowed: 0, invalid: 0, unavailable: 0, mismatch: 0 };

  async function authenticate(client: ClientInfo, password: Buffer | undefined): Promise<Decision> {
    const token = config.tokenFrom === 'password' ? password?.toString('utf8') : client.username;
    if (token === undefined || !looksLikeJwt(token)) return abstain;
    const v5 = client.protocolVersion === 5;
    const outcome = await verifyToken(token, keys, config);
    if (!outcome.ok) {
      counts[outcome.failure]++;
      if (outcome.failure === 'unavailable') {
        ctx.logger.warn(
          { clientId: client.clientId, reason: outcome.reason },
          'JWT refused: its key could not be fetched',
        );
        return v5 ? UNAVAILABLE_V5 : UNAVAILABLE_V3;
      }
      // Debug, not info: anyone can send bad tokens, and a flood of them must not flood the log.
      ctx.logger.debug({ clientId: client.clientId, reason: outcome.reason }, 'JWT refused');
      return v5 ? BAD_V5 : BAD_V3;
    }
    // The broker knows the client by its CONNECT username (an authenticate hook cannot rename it), so a
    // username that names someone else than the token would let this client pass as them to other plugins.
    if (config.tokenFrom === 'password' && client.username !== undefined && client.username !== outcome.username) {
      counts.mismatch++;
      ctx.logger.debug({ clientId: client.clientId }, 'JWT refused: the CONNECT username is not the token’s');
      return v5 ? BAD_V5 : BAD_V3;
    }
    const { rights, dropped } = compileRights(outcome.claims, config, outcome.username, client.clientId);
    if (dropped.length > 0) ctx.logger.debug({ clientId: client.clientId, dropped }, 'token entries ignored');
    const now = Date.now();
    for (const [key, p] of pending) if (now - p.at > PENDING_MS) pending.delete(key);
    pending.set(connectionOf(client), {
      entry: { rights, exp: typeof outcome.claims.exp === 'number' ? outcome.claims.exp : undefined },
      at: now,
    });
    counts.allowed++;
    // The token says who the client is: the broker (every plugin and ACL after this one) knows it by the
    // token's username, also when the CONNECT had none (an MQTT 5 client may send only the token).
    return client.username === outcome.username ? allow : allowAs(outcome.username);
  }

  const metrics = (): PluginMetric[] =>
    (Object.keys(counts) as Outcome[]).map((result) => ({
      name: 'auth_jwt_connects_total',
      help: 'CONNECTs with a JWT, by result',
      type: 'counter',
      value: counts[result],
      labels: { result },
    }));

  return {
    authenticate: (request) => authenticate(request.client, request.password),
    authorizeTopic(request) {
      const entry = admitted.get(request.client);
      // Not a client this plugin admitted (anonymous, another plugin's user): not ours to judge.
      if (entry === undefined) return abstain;
      return decide(entry.rights, request.action, request.topic);
    },
    events: {
      // Armed once the client is in, not at authenticate: a CONNECT refused later leaves no timer behind.
      'client:connected': ({ client }) => {
        const key = connectionOf(client);
        const entry = pending.get(key)?.entry;
        pending.delete(key);
        if (entry !== undefined) admitted.set(client, entry);
        if (entry?.exp !== undefined && config.disconnectOnExpiry) {
          expiries.schedule(client, entry.exp, config.clockToleranceS * 1000);
        }
      },
      'client:disconnected': ({ client }) => {
        expiries.cancel(client);
        admitted.delete(client);
      },
    },
    async reload() {
      try {
        await keys.reload();
        ctx.logger.info('verification keys reloaded');
      } catch (err) {
        ctx.logger.error({ err }, 'reloading the verification keys failed, keeping the keys loaded before');
      }
    },
    metrics,
    close() {
      keys.close();
      expiries.clear();
    },
  };
}

export default definePlugin({
  name: '@midge/plugin-auth-jwt',
  apiVersion: 1,
  configSchema,
  check: (ctx, config: JwtAuthConfig) => checkKeys(config, ctx.configDir),
  async setup(ctx, config: JwtAuthConfig): Promise<PluginHooks> {
    const keys = await createKeySource(config, ctx.configDir, ctx.logger);
    return createJwtAuth(ctx, resolveConfig(config), keys);
  },
});
