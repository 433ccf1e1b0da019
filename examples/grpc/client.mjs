// Calls demo.Greeter through the gateway's h2c listener (proxy_listen "127.0.0.1:8000 http2").
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const demo = grpc.loadPackageDefinition(protoLoader.loadSync(new URL('greeter.proto', import.meta.url).pathname)).demo;
const client = new demo.Greeter('127.0.0.1:8000', grpc.credentials.createInsecure());
const withKey = new grpc.Metadata();
withKey.set('apikey', 'alice-key');

client.Hello({ name: 'turnpike' }, withKey, (err, reply) => {
  console.log('Hello:', err ? `${grpc.status[err.code]} ${err.details}` : reply.message);
  client.Hello({ name: 'nobody' }, (err2) => {
    console.log('Hello without a key:', grpc.status[err2.code], err2.details);
    const stream = client.Countdown({ name: 'liftoff' }, withKey);
    stream.on('data', (r) => console.log('Countdown:', r.message));
    stream.on('end', () => client.close());
  });
});
