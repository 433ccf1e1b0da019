// The OpenAPI 3.1 document of the Admin API, built from the same entity JSON Schemas the
// store validates with and the paths the router serves, so it cannot drift from either.
// The Admin API's own paths are in ./openapi-system.ts, the entities' in ./openapi-entities.ts.
import { VERSION } from '../../version.js';
import type { Json } from './http.js';
import { entityPaths, entitySchemas } from './openapi-entities.js';
import { systemPaths, systemSchemas } from './openapi-system.js';

let cached: Json | null = null;

export function openApiDocument(): Json {
  if (cached !== null) return cached;
  // The Admin API's own entries first, then the entities' (a key in both keeps its place and
  // takes the entity's value, as when one object was filled in that order).
  const schemas: Json = { ...systemSchemas(), ...entitySchemas() };
  const paths: Json = { ...systemPaths(), ...entityPaths() };
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Turnpike Admin API',
      version: VERSION,
      description:
        "Kong-compatible Admin API of Turnpike. Entity paths, semantics and error bodies follow Kong's; /rbac and /audit are Turnpike's.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:8001' }],
    security: [{ bearer: [] }, {}],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'TURNPIKE_ADMIN_TOKEN, or a token from POST /rbac/tokens',
        },
      },
      schemas,
    },
    paths,
  };
  return cached;
}
