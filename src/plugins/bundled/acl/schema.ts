// Kong's acl config (kong/plugins/acl/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

const Groups = Nullable(Type.Array(Type.String({ minLength: 1 })));

export const AclSchema = Type.Object(
  {
    allow: Groups,
    deny: Groups,
    hide_groups_header: Type.Boolean({ default: false }),
    /**
     * Kong: prefer the groups an authentication plugin sets (ldap-auth, openid-connect) over the
     * consumer's. No Turnpike plugin sets such groups, so the consumer's always count.
     */
    always_use_authenticated_groups: Type.Boolean({ default: false }),
    /** Kong Enterprise's field: accepted; consumer groups (an Enterprise entity) are not supported, so it changes nothing. */
    include_consumer_groups: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type AclConfig = Static<typeof AclSchema>;
