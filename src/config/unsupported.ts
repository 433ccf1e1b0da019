// Entities a Kong or decK file may hold that Turnpike does not serve. Each is refused by name
// with why (a Kong Enterprise or Konnect feature, or a Kong OSS entity Turnpike lacks) rather
// than as an "unknown field", so that a file written for Kong fails with a message that says
// what to do. Which is which was checked against Kong's sources: kong/constants.lua
// (CORE_ENTITIES), kong/db/schema/entities/*.lua and kong/plugins/*/daos.lua for Kong OSS 3.x,
// and decK's file format (go-database-reconciler pkg/file/types.go) for the rest.

const ENTERPRISE = 'a Kong Enterprise feature that Turnpike does not have';
const KONNECT = 'a Kong Konnect feature that Turnpike does not have';
const OSS_NOT_YET = 'a Kong OSS entity that Turnpike does not support yet';

/** Top-level keys refused, with the message given at the key. */
export const UNSUPPORTED_TOP_LEVEL: Record<string, string> = {
  // Kong OSS 3.x entities.
  vaults: `'vaults' (secret vaults, {vault://...} references) are ${OSS_NOT_YET}; put the secret values in the file or the environment`,
  keys: `'keys' (JWK/PEM keys for plugins that sign or verify tokens) are ${OSS_NOT_YET}; no Turnpike plugin reads them, remove them`,
  key_sets: `'key_sets' (sets of 'keys') are ${OSS_NOT_YET}; no Turnpike plugin reads them, remove them`,
  filter_chains: `'filter_chains' (Proxy-Wasm filters) are ${OSS_NOT_YET}; Turnpike runs no Wasm filters, use a plugin instead`,
  acme_storage: "'acme_storage' belongs to Kong's acme plugin, which Turnpike does not have; remove it",
  oauth2_tokens: "'oauth2_tokens' are issued by Kong's oauth2 plugin, which Turnpike does not have; remove them",
  oauth2_authorization_codes:
    "'oauth2_authorization_codes' are issued by Kong's oauth2 plugin, which Turnpike does not have; remove them",
  // Kong Enterprise entities.
  consumer_groups: `'consumer_groups' are ${ENTERPRISE}; give each consumer its own plugins, or use acl groups`,
  consumer_group_consumers: `'consumer_group_consumers' (consumer group membership) are ${ENTERPRISE}`,
  consumer_group_plugins: `'consumer_group_plugins' (plugins scoped to a consumer group) are ${ENTERPRISE}`,
  rbac_roles: `'rbac_roles' (role-based access control of the Admin API) are ${ENTERPRISE}; Turnpike's Admin API has tokens with roles instead (see docs/admin-api.md)`,
  rbac_users: `'rbac_users' are ${ENTERPRISE}; Turnpike's Admin API has tokens with roles instead (see docs/admin-api.md)`,
  rbac_user_roles: `'rbac_user_roles' are ${ENTERPRISE}`,
  rbac_role_entities: `'rbac_role_entities' are ${ENTERPRISE}`,
  rbac_role_endpoints: `'rbac_role_endpoints' are ${ENTERPRISE}`,
  licenses: `'licenses' (the Kong Enterprise license) are ${ENTERPRISE}; Turnpike needs none, remove the key`,
  partials: `'partials' (shared plugin configuration) are ${ENTERPRISE}; write the configuration into each plugin`,
  event_hooks: `'event_hooks' are ${ENTERPRISE}`,
  mtls_auth_credentials: `'mtls_auth_credentials' belong to the mtls-auth plugin, ${ENTERPRISE}`,
  degraphql_routes: `'degraphql_routes' belong to the degraphql plugin, ${ENTERPRISE}`,
  graphql_ratelimiting_advanced_cost_decoration: `'graphql_ratelimiting_advanced_cost_decoration' belongs to a plugin that is ${ENTERPRISE}`,
  jwt_signer_jwks: `'jwt_signer_jwks' belong to the jwt-signer plugin, ${ENTERPRISE}`,
  custom_entities: `'custom_entities' (decK's entities of Kong Enterprise plugins) are ${ENTERPRISE}`,
  // Konnect and decK-only keys.
  service_packages: `'service_packages' are ${KONNECT}; declare services and routes instead`,
  cloned_plugins: `'cloned_plugins' are ${KONNECT}`,
  custom_plugins: `'custom_plugins' (plugin code uploaded to Konnect) are ${KONNECT}; load custom plugins with TURNPIKE_PLUGINS instead`,
  _plugin_configs:
    "decK's '_plugin_configs' (configurations shared by name) are not supported; write the configuration into each plugin",
};

/** Fields refused on one kind of entity, with the message given at the field. */
const UNSUPPORTED_NESTED: Record<string, Record<string, string>> = {
  consumer: {
    groups: `consumer groups are ${ENTERPRISE}; give each consumer its own plugins, or use acl groups`,
    mtls_auth_credentials: `mtls-auth credentials belong to the mtls-auth plugin, ${ENTERPRISE}`,
  },
  service: { filter_chains: `'filter_chains' (Proxy-Wasm filters) are ${OSS_NOT_YET}` },
  route: { filter_chains: `'filter_chains' (Proxy-Wasm filters) are ${OSS_NOT_YET}` },
};

/** The message for an unknown `field` of an entity of `kind`, when it is a known unsupported one. */
export function unsupportedNested(kind: string | undefined, field: string): string | undefined {
  return kind === undefined ? undefined : UNSUPPORTED_NESTED[kind]?.[field];
}
