// The demo gRPC upstream: demo.v1.Users on 127.0.0.1:50052 (plaintext HTTP/2). users.proto
// imports google/api/annotations.proto, which @grpc/proto-loader cannot find on disk, so the
// service is described with protobufjs through Turnpike's own loader (run `npm run build` first).
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../dist/src/plugins/bundled/shared/grpc/proto.js';

const definition = {};
for (const m of loadProto('demo', new URL('users.proto', import.meta.url).pathname).methods) {
  const [req, res] = [m.requestType, m.responseType];
  const conv = { longs: String, defaults: true };
  definition[m.method.name] = {
    path: m.grpcPath,
    requestStream: m.clientStreaming,
    responseStream: m.serverStreaming,
    requestSerialize: (o) => Buffer.from(req.encode(req.fromObject(o)).finish()),
    requestDeserialize: (b) => req.toObject(req.decode(b), conv),
    responseSerialize: (o) => Buffer.from(res.encode(res.fromObject(o)).finish()),
    responseDeserialize: (b) => res.toObject(res.decode(b), conv),
  };
}
const users = new Map([['u1', { userId: 'u1', displayName: 'Ada', karma: '42' }]]);
const server = new grpc.Server();
server.addService(definition, {
  GetUser: (call, cb) => {
    const u = users.get(call.request.userId);
    if (u === undefined) cb({ code: grpc.status.NOT_FOUND, details: `no user ${call.request.userId}` });
    else cb(null, u);
  },
  CreateUser: (call, cb) => {
    const u = { ...call.request, userId: `u${users.size + 1}` };
    users.set(u.userId, u);
    cb(null, u);
  },
  ListUsers: (call) => {
    for (const u of [...users.values()].slice(0, call.request.limit || users.size)) call.write(u);
    call.end();
  },
});
server.bindAsync('127.0.0.1:50052', grpc.ServerCredentials.createInsecure(), () => console.log('users upstream on 127.0.0.1:50052'));
