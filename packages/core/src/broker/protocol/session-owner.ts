import type { ClientInfo } from '../../plugin-api/types.js';
import type { BrokerContext } from '../context.js';
import type { Peer } from '../peer.js';
import { UNCLAIMED } from '../session.js';
import { ConnackCode, refuse, V5 } from './connack.js';

/**
 * `session_owner`: a session (live or persistent) belongs to the identity that created it, its
 * authenticated username (anonymous being an identity of its own). An authenticated CONNECT whose client id
 * names another identity's session is
 * - 'strict': refused (v5 0x87, v3 0x05), clean start or not, so nobody reads the owner's queue, inherits
 *   their subscriptions or kicks them off by reusing their client id;
 * - 'fresh': given a new empty session, the other one being discarded (its connection closed);
 * - 'off': let through, as before (the resume is still re-authorized for the new identity).
 *
 * Returns 'refused' (the CONNACK is sent), 'discard' (open the session as clean) or 'ok'.
 */
export function checkSessionOwner(ctx: BrokerContext, conn: Peer, client: ClientInfo): 'refused' | 'discard' | 'ok' {
  const existing = ctx.sessions.get(client.clientId);
  if (existing === undefined || existing.owner === client.username || existing.owner === UNCLAIMED) return 'ok';
  const policy = ctx.config.session_owner;
  if (policy === 'off') return 'ok';
  // The username is left out of the log line: whoever tries this may be guessing client ids.
  ctx.limits.hit('session_owner', `client id in use by another identity's session (session_owner: ${policy})`, {
    clientId: client.clientId,
    policy,
  });
  if (policy === 'fresh') return 'discard';
  const code = conn.protocolVersion === 5 ? V5.notAuthorized : ConnackCode.notAuthorized;
  refuse(conn, code, "not authorized: the client id belongs to another user's session (session_owner: strict)");
  return 'refused';
}
