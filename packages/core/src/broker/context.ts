import type { Pipeline } from './pipeline.js';
import type { Router } from './router.js';
import type { BrokerServices } from './services.js';
import type { SessionStore } from './session-store.js';

/**
 * Everything a connection and the protocol handlers need from the broker, in one object: the shared
 * services and the parts they drive. Only the top of the broker imports it (broker.ts, connection.ts,
 * protocol/*); the parts themselves get their collaborators from broker.ts as constructor arguments.
 */
export interface BrokerContext extends BrokerServices {
  readonly router: Router;
  readonly sessions: SessionStore;
  /** The one way a message enters routing (`publishFrom`): client PUBLISH, wills, the API, plugins. */
  readonly pipeline: Pipeline;
}
