import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleOf, placeOf, summarizeProfile, type CpuProfile } from '../../../bench/lib/cpu-profile.js';

const frame = (functionName: string, url: string, lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
});

test('moduleOf names our files, npm packages, Node internals and native frames', () => {
  assert.equal(
    moduleOf('file:///work/x/dist/src/engine/http1/request-head.js', 'parse'),
    'src/engine/http1/request-head.js',
  );
  assert.equal(moduleOf('file:///work/x/node_modules/pino/lib/tools.js', 'f'), 'npm:pino');
  assert.equal(moduleOf('file:///work/x/node_modules/@sinclair/typebox/build/a.js', 'f'), 'npm:@sinclair/typebox');
  assert.equal(moduleOf('node:internal/http2/core', 'respond'), 'node:internal/http2/core');
  assert.equal(moduleOf('', '(garbage collector)'), '(garbage collector)');
  assert.equal(moduleOf('', 'writeLatin1String'), 'native:writeLatin1String');
  assert.equal(placeOf('native:writev'), 'native: socket writes (send syscalls; encryption under TLS)');
  assert.equal(placeOf('node:internal/http2/core'), 'Node: http2 (nghttp2 binding)');
  assert.equal(placeOf('node:internal/streams/readable'), 'Node: streams');
  assert.equal(placeOf('src/router/match.js'), 'Turnpike');
});

test('summarizeProfile attributes each sample delta to the sampled node and leaves idle out of the shares', () => {
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 10_000,
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('parseRequestHead', 'file:///r/dist/src/engine/http1/request-head.js', 91) },
      { id: 4, callFrame: frame('writeBuffer', '') },
    ],
    // 4 ms idle, 3 ms ours, 3 ms writing.
    samples: [2, 3, 4, 2, 3, 4, 3, 4, 2, 2],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
  const s = summarizeProfile(profile);
  assert.equal(s.totalMs, 10);
  assert.equal(s.busyMs, 6);
  assert.deepEqual(
    s.functions.map((f) => [f.name, f.ms, f.share]),
    [
      ['parseRequestHead src/engine/http1/request-head.js:92', 3, 0.5],
      ['writeBuffer (native)', 3, 0.5],
    ],
  );
  assert.deepEqual(
    s.places
      .filter((p) => !p.place.startsWith('idle'))
      .map((p) => p.place)
      .sort(),
    ['Turnpike', 'native: socket writes (send syscalls; encryption under TLS)'],
  );
});
