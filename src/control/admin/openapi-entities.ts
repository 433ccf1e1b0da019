// The entity part of the Admin API's OpenAPI document: each kind's schemas (read and write
// forms, the same JSON Schemas the store validates with) and its collection and item paths,
// top-level and nested, as the router serves them (./entity-paths.ts).
import { ENTITIES, type Kind } from '../store/index.js';
import { writeSchema } from '../store/validate.js';
import { NESTED, TOP_LEVEL } from './entity-paths.js';
import type { Json } from './http.js';
import { COMMON_ERRORS, errorResponse, jsonContent, listParams, pathParam, ref } from './openapi-common.js';

const clone = (x: unknown): Json => JSON.parse(JSON.stringify(x)) as Json;
const ident = (kind: Kind) => ENTITIES[kind].singular.replace(/[^a-z0-9]+/gi, '_');
const title = (kind: Kind) =>
  ident(kind)
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

function collection(kind: Kind, params: Json[], under: string): Json {
  const t = title(kind);
  return {
    get: {
      operationId: `list${t}${under}`,
      summary: `List ${kind}${under ? ` of the ${under.replace(/^Of/, '').toLowerCase()}` : ''}`,
      tags: [kind],
      parameters: [...params, ...listParams()],
      responses: {
        '200': {
          description: 'a page',
          content: jsonContent({
            type: 'object',
            required: ['data', 'next'],
            properties: {
              data: { type: 'array', items: ref(t) },
              next: { type: ['string', 'null'] },
              offset: { type: 'string' },
            },
          }),
        },
        '400': errorResponse('bad size, offset or tags'),
        '404': errorResponse('no such parent'),
        ...COMMON_ERRORS,
      },
    },
    post: {
      operationId: `create${t}${under}`,
      summary: `Create a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      requestBody: {
        required: true,
        content: {
          ...jsonContent(ref(`${t}Input`)),
          'application/x-www-form-urlencoded': { schema: ref(`${t}Input`) },
        },
      },
      responses: {
        '201': { description: 'created', content: jsonContent(ref(t)) },
        '400': errorResponse('schema, foreign key or primary key violation'),
        '405': errorResponse('DB-less mode: entities cannot be changed'),
        '409': errorResponse('unique constraint violation'),
        ...COMMON_ERRORS,
      },
    },
  };
}

function item(kind: Kind, params: Json[], under: string): Json {
  const t = title(kind);
  const body = {
    required: true,
    content: { ...jsonContent(ref(`${t}Input`)), 'application/x-www-form-urlencoded': { schema: ref(`${t}Input`) } },
  };
  const entity = { description: 'the entity', content: jsonContent(ref(t)) };
  const writeErrors = {
    '400': errorResponse('schema or foreign key violation'),
    '405': errorResponse('DB-less mode: entities cannot be changed'),
    '409': errorResponse('unique constraint violation'),
    ...COMMON_ERRORS,
  };
  return {
    get: {
      operationId: `get${t}${under}`,
      summary: `Read a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      responses: { '200': entity, '404': errorResponse('not found'), ...COMMON_ERRORS },
    },
    put: {
      operationId: `upsert${t}${under}`,
      summary: `Create or replace a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      requestBody: body,
      responses: { '200': entity, ...writeErrors },
    },
    patch: {
      operationId: `update${t}${under}`,
      summary: `Change fields of a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      requestBody: body,
      responses: { '200': entity, '404': errorResponse('not found'), ...writeErrors },
    },
    delete: {
      operationId: `delete${t}${under}`,
      summary: `Delete a ${ENTITIES[kind].singular} (204 also when it did not exist)`,
      tags: [kind],
      parameters: params,
      responses: {
        '204': { description: 'deleted' },
        '400': errorResponse('still referenced'),
        '405': errorResponse('DB-less mode'),
        ...COMMON_ERRORS,
      },
    },
  };
}

/** `<Title>` and `<Title>Input` for every kind the Admin API serves. */
export function entitySchemas(): Json {
  const schemas: Json = {};
  const kinds = new Set<Kind>([...TOP_LEVEL.map(([, k]) => k), ...NESTED.map((n) => n[3])]);
  for (const k of kinds) {
    schemas[title(k)] = clone(ENTITIES[k].schema);
    schemas[`${title(k)}Input`] = clone(writeSchema(k));
  }
  return schemas;
}

/** The collection and item paths of every kind: top-level ones first, then nested ones. */
export function entityPaths(): Json {
  const paths: Json = {};
  for (const [seg, kind] of TOP_LEVEL) {
    paths[`/${seg}`] = collection(kind, [], '');
    paths[`/${seg}/{${ident(kind)}}`] = item(kind, [pathParam(ident(kind), 'id or name')], '');
  }
  for (const [parent, field, child, kind] of NESTED) {
    const under = `Of${field[0]!.toUpperCase()}${field.slice(1)}`;
    const pp = pathParam(field, `the ${field}: id or name`);
    const childParam = ident(kind) === field ? `${ident(kind)}_key` : ident(kind);
    paths[`/${parent}/{${field}}/${child}`] = collection(kind, [pp], under + child.replace(/[^a-z0-9]/gi, ''));
    paths[`/${parent}/{${field}}/${child}/{${childParam}}`] = item(
      kind,
      [pp, pathParam(childParam, 'id or name')],
      under + child.replace(/[^a-z0-9]/gi, ''),
    );
  }
  return paths;
}
