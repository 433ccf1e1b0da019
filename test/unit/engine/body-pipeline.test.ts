// The body phase's pipeline: each filter's `end` gets the upstream's trailers in turn, and
// what they leave is what the sink (the client) gets.

import test from 'node:test';
import assert from 'node:assert/strict';
import { BodyPipeline } from '../../../src/engine/proxy/body-pipeline.js';
import type { HeaderMap } from '../../../src/plugins/sdk.js';

test('filters see the trailers in order, edit them in place, and the sink gets what is left', async () => {
  const seen: HeaderMap[] = [];
  const written: string[] = [];
  let finished: HeaderMap | null = null;
  const done = new Promise<void>((resolve) => {
    const p = new BodyPipeline(
      [
        {
          plugin: 'first',
          filter: {
            chunk: (d) => d,
            end: (t) => {
              seen.push({ ...t });
              const status = t['grpc-status'];
              delete t['grpc-status'];
              t['x-moved'] = 'yes';
              return Buffer.from(`[status ${String(status)}]`);
            },
          },
        },
        {
          plugin: 'second',
          filter: {
            chunk: async (d) => Buffer.from(d.toString().toUpperCase()),
            end: async (t) => {
              seen.push({ ...t });
              return null;
            },
          },
        },
      ],
      {
        write: (d) => written.push(d.toString()),
        finish: (t) => {
          finished = t;
          resolve();
        },
        fail: (plugin, err) => assert.fail(`${plugin}: ${String(err)}`),
        idle: () => {},
      },
    );
    p.push(Buffer.from('body'));
    p.end({ 'grpc-status': '0', 'grpc-message': 'OK' });
  });
  await done;
  assert.deepEqual(written, ['BODY', '[STATUS 0]']);
  assert.deepEqual(seen, [
    { 'grpc-status': '0', 'grpc-message': 'OK' },
    { 'grpc-message': 'OK', 'x-moved': 'yes' },
  ]);
  assert.deepEqual(finished, { 'grpc-message': 'OK', 'x-moved': 'yes' });
});
