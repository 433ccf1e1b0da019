// The table of listener kinds: which kind serves an address of proxy_listen / stream_listen,
// in which order a worker binds them, and what the primary logs about them at start-up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSettings } from '../../../src/settings/index.js';
import { LISTENER_KINDS, kindOf, listenersOf, listenerUrl, startupLines } from '../../../src/engine/listeners/table.js';

const settings = (proxy: string, stream = 'off') =>
  resolveSettings({ declarative_config: 'kong.yml', proxy_listen: proxy, stream_listen: stream });

test('each flag combination of proxy_listen and stream_listen has exactly one kind', () => {
  const s = settings(
    '127.0.0.1:1, 127.0.0.1:2 ssl, 127.0.0.1:3 http2, 127.0.0.1:4 ssl http2',
    '127.0.0.1:5, 127.0.0.1:6 ssl',
  );
  const names = listenersOf(s).map((l) => `${l.address.port}:${l.kind.name}`);
  // stream_listen first, then proxy_listen: the order the worker binds them in.
  assert.deepEqual(names, ['5:tcp-stream', '6:tls-stream', '1:http', '2:https', '3:h2c', '4:https-h2']);
  for (const k of LISTENER_KINDS) {
    const same = LISTENER_KINDS.filter((o) => o.setting === k.setting && o.ssl === k.ssl && o.http2 === k.http2);
    assert.equal(same.length, 1, `${k.name} shares its setting and flags with another kind`);
  }
  assert.deepEqual(
    listenersOf(s)
      .filter((l) => l.kind.tls)
      .map((l) => l.address.port),
    [6, 2, 4],
  );
});

test('an address no kind takes is refused by name', () => {
  const addr = { host: '127.0.0.1', port: 7, ssl: false, http2: true, spec: '127.0.0.1:7 http2' };
  assert.throws(() => kindOf('stream_listen', addr), /stream_listen "127\.0\.0\.1:7 http2": no listener kind/);
});

test('URLs and start-up lines say what they said before the table', () => {
  const s = settings(
    '0.0.0.0:8000, 0.0.0.0:8443 ssl http2, 127.0.0.1:8080 http2',
    '127.0.0.1:9000, 127.0.0.1:9001 ssl',
  );
  assert.deepEqual(listenersOf(s).map(listenerUrl), [
    'tcp://127.0.0.1:9000',
    'tls://127.0.0.1:9001',
    'http://0.0.0.0:8000',
    'https://0.0.0.0:8443',
    'http://127.0.0.1:8080',
  ]);
  assert.deepEqual(startupLines(s), [
    {
      fields: { stream: ['tcp://127.0.0.1:9000'] },
      message: 'stream listeners (tcp, tls_passthrough routes) on tcp://127.0.0.1:9000',
    },
    {
      fields: { stream: ['tls://127.0.0.1:9001'] },
      message: 'TLS-terminating stream listeners (tls routes) on tls://127.0.0.1:9001',
    },
    {
      message: 'proxy_listen "0.0.0.0:8443 ssl http2": HTTP/2 over TLS (ALPN h2, with http/1.1 for clients without h2)',
    },
    {
      message:
        'proxy_listen "127.0.0.1:8080 http2": HTTP/2 cleartext with prior knowledge (h2c); HTTP/1.1 on the same port',
    },
  ]);
  assert.deepEqual(startupLines(settings('127.0.0.1:8000')), []);
});
