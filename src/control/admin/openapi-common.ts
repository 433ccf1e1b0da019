// The building blocks of the Admin API's OpenAPI document (./openapi.ts): references into its
// components, JSON bodies, Kong's error answers and the parameters every listing takes.
import type { Json } from './http.js';

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const jsonContent = (schema: unknown) => ({ 'application/json': { schema } });
export const errorResponse = (description: string) => ({ description, content: jsonContent(ref('Error')) });

export const COMMON_ERRORS = {
  '401': errorResponse('no token, or an invalid one (when the Admin API requires tokens)'),
  '403': errorResponse("the token's role does not allow this request"),
  '503': errorResponse('the database is unreachable; traffic is still served from the last configuration'),
};

export function listParams(): Json[] {
  return [
    {
      name: 'size',
      in: 'query',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      description: 'entities per page',
    },
    { name: 'offset', in: 'query', schema: { type: 'string' }, description: 'the `offset` of the previous page' },
    {
      name: 'tags',
      in: 'query',
      schema: { type: 'string' },
      description: '`a,b`: entities with every tag; `a/b`: with any of them',
    },
  ];
}

export const pathParam = (name: string, what: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: what,
});

/** A path with one GET answering a JSON body (node information, listings without paging). */
export const simple = (
  operationId: string,
  summary: string,
  tag: string,
  schema: unknown = { type: 'object' },
): Json => ({
  get: {
    operationId,
    summary,
    tags: [tag],
    responses: { '200': { description: 'ok', content: jsonContent(schema) }, ...COMMON_ERRORS },
  },
});
