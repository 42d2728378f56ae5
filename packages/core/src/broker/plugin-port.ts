/** The broker core's port to the plugins: what it asks of the plugin host, and how it tells a sync answer from an async one. */
import type {
  AuthenticateRequest,
  AuthorizeClientRequest,
  AuthorizeTopicRequest,
  BrokerEventName,
  BrokerEvents,
  Decision,
  EnhancedAuthRequest,
  EnhancedAuthStep,
  Message,
  StoreMessageRequest,
  SessionClaimRequest,
} from '../plugin-api/types.js';
import type { PersistedSession } from '../persistence/types.js';

/**
 * The part of the plugin host the broker core uses. The real `PluginHost` satisfies it structurally;
 * keeping the core on this interface lets tests and embedders drive the broker without plugins.
 */
export interface PluginHostLike {
  authenticate(req: AuthenticateRequest): Decision | Promise<Decision>;
  authorizeTopic(req: AuthorizeTopicRequest): Decision | Promise<Decision>;
  readonly hasTopicAuthorization: boolean;
  /** Vetoes on authenticated clients (client id rules); undefined = no plugin has an opinion. Optional for embedders. */
  authorizeClient?(req: AuthorizeClientRequest): Decision | Promise<Decision> | undefined;
  /** A cluster plugin's claim of a client id being admitted (never rejects); undefined without one. Optional for embedders. */
  claimSession?(req: SessionClaimRequest): Promise<PersistedSession | undefined> | undefined;
  /** True while a cluster plugin delivers shared subscriptions (the router then picks no member). Optional for embedders. */
  takesSharedSubscriptions?(): boolean;
  /** Whether to publish a will restored from the store (a cluster may have published it); resolves true without a plugin. */
  keepRestoredWill?(req: { readonly clientId: string; readonly will: Message }): Promise<boolean>;
  /** The cluster plugin's routes of new subscriptions registered (`PluginHooks.awaitRoutes`); undefined: none pending. */
  awaitRoutes?(): Promise<void> | undefined;
  /**
   * The cluster plugin's store of an accepted QoS 1/2 message (`PluginHooks.storeMessage`), bounded by
   * `plugin_decision_timeout`: rejects when it failed; undefined: nothing to wait for.
   */
  storeMessage?(request: StoreMessageRequest): Promise<void> | undefined;
  hasEnhancedAuth(method: string): boolean;
  enhancedAuth(req: EnhancedAuthRequest): EnhancedAuthStep | Promise<EnhancedAuthStep>;
  hasHook(event: BrokerEventName): boolean;
  emit<K extends BrokerEventName>(event: K, payload: BrokerEvents[K]): void;
  reload(): Promise<unknown>;
  close(): Promise<void>;
}

/** True for a plugin's asynchronous answer: sync answers stay on the fast path, without a promise. */
export function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
