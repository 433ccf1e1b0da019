// The REST side of a .proto: every `option (google.api.http)` rule (and its
// additional_bindings) becomes a binding of an HTTP method and path template to an RPC,
// checked against the messages when the configuration loads, so that a typo in a field path
// refuses the configuration instead of failing requests.

import type protobuf from 'protobufjs';
import { protobufModule as pb } from '../shared/lazy-modules.js';
import type { RpcMethod } from '../shared/grpc/proto.js';
import { findField } from '../shared/grpc/json.js';
import { compileTemplate, matchTemplate, type PathTemplate } from './template.js';

export interface Binding {
  readonly httpMethod: string;
  readonly template: PathTemplate;
  /** "" (no body), "*" (the whole request message) or a top-level field name. */
  readonly body: string;
  /** "" (the whole response message) or a top-level field of the response to send instead. */
  readonly responseBody: string;
  readonly rpc: RpcMethod;
  readonly order: number;
}

interface HttpRuleLike {
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  custom?: { kind?: string; path?: string };
  body?: string;
  response_body?: string;
  additional_bindings?: HttpRuleLike | HttpRuleLike[];
}

/** Resolves a dotted field path (proto or JSON names) in `type`; throws naming what is missing. */
export function fieldPath(type: protobuf.Type, dotted: string, where: string): protobuf.Field[] {
  const out: protobuf.Field[] = [];
  let t: protobuf.Type | null = type;
  for (const part of dotted.split('.')) {
    if (t === null) throw new Error(`${where}: ${dotted}: ${out[out.length - 1].name} is not a message`);
    const f = findField(t, part);
    if (f === null) throw new Error(`${where}: ${t.fullName.replace(/^\./, '')} has no field ${JSON.stringify(part)}`);
    out.push(f);
    t = f.resolvedType instanceof pb().Type && !f.repeated && !f.map ? f.resolvedType : null;
  }
  return out;
}

function rulesOf(m: RpcMethod): HttpRuleLike[] {
  const out: HttpRuleLike[] = [];
  for (const o of m.method.parsedOptions ?? []) {
    const r = (o as Record<string, unknown>)['(google.api.http)'];
    if (r !== undefined && typeof r === 'object' && r !== null) out.push(r as HttpRuleLike);
  }
  return out;
}

export function compileBindings(methods: readonly RpcMethod[]): Binding[] {
  const out: Binding[] = [];
  const add = (rule: HttpRuleLike, rpc: RpcMethod, nested: boolean): void => {
    const where = `rpc ${rpc.grpcPath.slice(1)}`;
    const verbs = (['get', 'put', 'post', 'delete', 'patch'] as const).filter((k) => typeof rule[k] === 'string');
    let httpMethod: string;
    let pattern: string;
    if (verbs.length === 1) {
      httpMethod = verbs[0].toUpperCase();
      pattern = rule[verbs[0]]!;
    } else if (verbs.length === 0 && rule.custom?.kind !== undefined && rule.custom.path !== undefined) {
      httpMethod = rule.custom.kind.toUpperCase();
      pattern = rule.custom.path;
    } else
      throw new Error(`${where}: a google.api.http rule needs exactly one of get, put, post, delete, patch or custom`);
    if (rpc.clientStreaming)
      throw new Error(
        `${where}: client streaming methods cannot be called through grpc-gateway (one request body is one message)`,
      );
    let template: PathTemplate;
    try {
      template = compileTemplate(pattern);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    for (const v of template.variables) {
      const fs = fieldPath(rpc.requestType, v.field, `${where}: path variable {${v.field}}`);
      const last = fs[fs.length - 1];
      if (last.repeated || last.map || last.resolvedType instanceof pb().Type)
        throw new Error(`${where}: path variable {${v.field}} must name a scalar field`);
    }
    const body = rule.body ?? '';
    if (body !== '' && body !== '*') fieldPath(rpc.requestType, body, `${where}: body`);
    if (body.includes('.')) throw new Error(`${where}: body must be "*" or a top-level field`);
    const responseBody = rule.response_body ?? '';
    if (responseBody !== '') fieldPath(rpc.responseType, responseBody, `${where}: response_body`);
    out.push({ httpMethod, template, body, responseBody, rpc, order: out.length });
    const extra = rule.additional_bindings;
    if (extra !== undefined) {
      if (nested) throw new Error(`${where}: additional_bindings cannot nest`);
      for (const r of Array.isArray(extra) ? extra : [extra]) add(r, rpc, true);
    }
  };
  for (const m of methods) for (const r of rulesOf(m)) add(r, m, false);
  // Most literal segments first, then templates without "**", then the file's order.
  const rest = (b: Binding): number => (b.template.segments.some((s) => s.kind === 'rest') ? 1 : 0);
  out.sort((a, b) => b.template.literals - a.template.literals || rest(a) - rest(b) || a.order - b.order);
  return out;
}

export interface Match {
  readonly binding: Binding;
  readonly vars: Record<string, string>;
}

/** The binding for a request, or null; `pathKnown` tells a wrong method (405) from an unknown path (404). */
export function findBinding(
  bindings: readonly Binding[],
  method: string,
  rawPath: string,
): { match: Match | null; pathKnown: boolean } {
  let pathKnown = false;
  for (const b of bindings) {
    const vars = matchTemplate(b.template, rawPath);
    if (vars === null) continue;
    if (b.httpMethod === method) return { match: { binding: b, vars }, pathKnown: true };
    pathKnown = true;
  }
  return { match: null, pathKnown };
}
