// Loading a service's .proto file for the gRPC plugins: once per configuration load (in the
// plugin's `prepare`), synchronously, with the google.api annotations importable.

import path from 'node:path';
import type protobuf from 'protobufjs';
import { protobufModule as pb } from '../lazy-modules.js';
import { registerGoogleApi } from './google-api.js';

/** One RPC of the file, with what the plugins need to transcode it. */
export interface RpcMethod {
  /** `/package.Service/Method`: the gRPC path. */
  readonly grpcPath: string;
  readonly method: protobuf.Method;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly serverStreaming: boolean;
  readonly clientStreaming: boolean;
}

/**
 * Loads `file` and its imports (resolved from the file's directory, as protoc's -I would be).
 * Field names become lowerCamelCase (protobufjs' default), which is also the proto3 JSON
 * mapping's: what the JSON sides of both plugins speak. Errors name the file.
 */
export function loadProto(plugin: string, file: string): { root: protobuf.Root; methods: RpcMethod[] } {
  registerGoogleApi();
  const abs = path.resolve(file);
  let root: protobuf.Root;
  try {
    root = new (pb().Root)().loadSync(abs, { keepCase: false });
    root.resolveAll();
  } catch (err) {
    throw new Error(`${plugin}: cannot load the proto file ${JSON.stringify(file)}: ${(err as Error).message}`);
  }
  const methods: RpcMethod[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof pb().Service) {
        const svcName = obj.fullName.replace(/^\./, '');
        for (const m of obj.methodsArray) {
          methods.push({
            grpcPath: `/${svcName}/${m.name}`,
            method: m,
            requestType: m.resolvedRequestType!,
            responseType: m.resolvedResponseType!,
            serverStreaming: m.responseStream === true,
            clientStreaming: m.requestStream === true,
          });
        }
      }
      if (obj instanceof pb().Namespace) walk(obj);
    }
  };
  walk(root);
  return { root, methods };
}
