/**
 * The plugin's options. Each ACL is a map `username: [filters]`, or aMQTT's list of maps
 * (`- alice: [a/#]`); `null` (a key with no value in YAML) means "absent" as in aMQTT.
 */
import * as v from 'valibot';
import { topicFilterProblem } from '@midge/mqtt-core';

const aclEntry = v.pipe(
  v.string(),
  v.check(
    (s) => topicFilterProblem(s) === undefined,
    (issue) => topicFilterProblem(issue.input) ?? 'invalid topic filter',
  ),
);

const userMap = v.record(v.string(), v.array(aclEntry));

/** The two spellings of one ACL. `lazy` picks the schema from the input so issues point into it. */
const aclMap = v.nullish(v.lazy((input) => (Array.isArray(input) ? v.array(userMap) : userMap)));

/** `client_ids` has the same two spellings, with client id patterns (`%u`, `*`) instead of topic filters. */
const clientIdPattern = v.pipe(v.string(), v.minLength(1, 'a client id pattern must not be empty'));
const clientIdUserMap = v.record(v.string(), v.array(clientIdPattern));
const clientIdMap = v.nullish(v.lazy((input) => (Array.isArray(input) ? v.array(clientIdUserMap) : clientIdUserMap)));

type UserMap = Readonly<Record<string, readonly string[]>>;
export type AclInput = UserMap | readonly UserMap[];

export const configSchema = v.pipe(
  v.strictObject({
    /** Who may subscribe to what (a requested filter must be covered by an entry). */
    subscribe_acl: aclMap,
    /** Deprecated name of subscribe_acl (aMQTT). */
    acl: aclMap,
    /** Who may publish to what. */
    publish_acl: aclMap,
    /** Which messages a client may be sent (live, retained and queued deliveries). */
    receive_acl: aclMap,
    /** Which client ids each user may connect with (`%u` = username, `*` = anything). Absent: any. */
    client_ids: clientIdMap,
  }),
  v.forward(
    v.partialCheck(
      [['acl'], ['subscribe_acl']],
      (input) => input.acl == null || input.subscribe_acl == null,
      '`acl` is the deprecated name of `subscribe_acl`: set only `subscribe_acl`',
    ),
    ['acl'],
  ),
);

export type TopicAclConfig = v.InferOutput<typeof configSchema>;

/**
 * One ACL as a map username → entries, in the order written. The list form is merged; a user named in
 * several items gets the union of their entries. `null`/`undefined` stay undefined (unrestricted).
 */
export function normalizeAcl(acl: AclInput | null | undefined): Map<string, string[]> | undefined {
  if (acl == null) return undefined;
  const out = new Map<string, string[]>();
  // Array.isArray does not narrow readonly arrays, hence the casts.
  const items = Array.isArray(acl) ? (acl as readonly UserMap[]) : [acl as UserMap];
  for (const item of items) {
    for (const [user, entries] of Object.entries(item)) {
      const list = out.get(user);
      if (list === undefined) out.set(user, [...entries]);
      else for (const e of entries) if (!list.includes(e)) list.push(e);
    }
  }
  return out;
}
