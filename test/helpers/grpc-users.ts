// A real gRPC upstream for the grpc-gateway tests: @grpc/grpc-js serving
// test/fixtures/grpc/users.proto. The file imports google/api/annotations.proto, which
// @grpc/proto-loader cannot find on disk, so the service definition is built from the
// protobufjs types the plugin's own loader reads (the same .proto, the same wire format).

import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { ROOT } from './gateway.js';
import { loadProto } from '../../src/plugins/bundled/shared/grpc/proto.js';

export const USERS_PROTO = path.join(ROOT, 'test', 'fixtures', 'grpc', 'users.proto');

type Obj = Record<string, any>;

function serviceDefinition(): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Obj, Obj>> = {};
  for (const m of loadProto('test', USERS_PROTO).methods) {
    const req: protobuf.Type = m.requestType;
    const res: protobuf.Type = m.responseType;
    def[m.method.name] = {
      path: m.grpcPath,
      requestStream: m.clientStreaming,
      responseStream: m.serverStreaming,
      requestSerialize: (o: Obj) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), { longs: String, enums: String, defaults: true }),
      responseSerialize: (o: Obj) => Buffer.from(res.encode(res.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), { longs: String, enums: String, defaults: true }),
    };
  }
  return def;
}

export interface UsersServer {
  port: number;
  /** Requests the server received, as `Method` → decoded request. */
  seen: { method: string; request: Obj }[];
  close(): Promise<void>;
}

/**
 * GetUser answers user "u1" (anything else: NOT_FOUND; "deny": PERMISSION_DENIED);
 * CreateUser echoes the fields back with id "new"; UpdateUser echoes the user; ListUsers
 * streams `limit` users; DeleteUser answers Empty.
 */
export async function startUsersServer(): Promise<UsersServer> {
  const server = new grpc.Server();
  const seen: { method: string; request: Obj }[] = [];
  const user = (id: string, extra: Obj = {}): Obj => ({
    userId: id,
    displayName: `User ${id}`,
    karma: '9007199254740993',
    role: 'ROLE_MEMBER',
    tags: ['a'],
    ...extra,
  });
  server.addService(serviceDefinition(), {
    GetUser(call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      seen.push({ method: 'GetUser', request: call.request });
      const id = call.request.userId;
      if (id === 'u1') return cb(null, user('u1', call.request.verbose ? { displayName: 'User u1 (verbose)' } : {}));
      if (id === 'deny') return cb({ code: grpc.status.PERMISSION_DENIED, details: 'not yours' });
      cb({ code: grpc.status.NOT_FOUND, details: `no user ${id}` });
    },
    CreateUser(call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      seen.push({ method: 'CreateUser', request: call.request });
      cb(null, {
        userId: 'new',
        displayName: call.request.displayName,
        role: call.request.role,
        tags: call.request.tags,
        karma: String(call.request.age),
      });
    },
    UpdateUser(call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      seen.push({ method: 'UpdateUser', request: call.request });
      cb(null, call.request.user);
    },
    DeleteUser(call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      seen.push({ method: 'DeleteUser', request: call.request });
      cb(null, {});
    },
    GetFile(call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      seen.push({ method: 'GetFile', request: call.request });
      cb(null, { path: call.request.path, size: '12' });
    },
    ListUsers(call: grpc.ServerWritableStream<Obj, Obj>) {
      seen.push({ method: 'ListUsers', request: call.request });
      for (let i = 0; i < call.request.limit; i++) call.write(user(`u${i}`));
      call.end();
    },
    Ping(_call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) {
      cb(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { port, seen, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}
