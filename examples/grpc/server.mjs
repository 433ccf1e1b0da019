// The demo gRPC upstream: demo.Greeter on 127.0.0.1:50051 (plaintext HTTP/2).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const demo = grpc.loadPackageDefinition(protoLoader.loadSync(new URL('greeter.proto', import.meta.url).pathname)).demo;
const server = new grpc.Server();
server.addService(demo.Greeter.service, {
  Hello: (call, cb) => cb(null, { message: `hello ${call.request.name}` }),
  Countdown: (call) => {
    for (let i = 3; i > 0; i--) call.write({ message: `${call.request.name} ${i}` });
    call.end();
  },
});
server.bindAsync('127.0.0.1:50051', grpc.ServerCredentials.createInsecure(), () => console.log('greeter upstream on 127.0.0.1:50051'));
