import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/bot-detection/index.js';
import { configure, defaults, Exchange, run } from './context.js';

async function ua(conf: unknown, userAgent?: string) {
  const ex = new Exchange({ headers: userAgent === undefined ? {} : { 'user-agent': userAgent } });
  await run(plugin, 'access', ex, conf);
  return ex.answer;
}

const FORBIDDEN = { status: 403, body: { message: 'Forbidden' }, headers: {} };
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

test('bot-detection: Kong priority and defaults', () => {
  assert.equal(plugin.priority, 2500);
  assert.deepEqual(defaults(plugin), { allow: [], deny: [] });
});

test('bot-detection: known bots are refused with 403 Forbidden, browsers and tools pass', async () => {
  const conf = configure(plugin, {});
  for (const bot of [
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'facebookexternalhit/1.1',
    'Twitterbot/1.0',
    'Apache-HttpClient/4.5.13 (Java/11)',
    'Python-urllib/3.11',
    'Scrapy/2.11.0 (+https://scrapy.org)',
  ]) {
    assert.deepEqual(await ua(conf, bot), FORBIDDEN, bot);
  }
  for (const ok of [BROWSER, 'curl/8.5.0', 'PostmanRuntime/7.36.0']) assert.equal(await ua(conf, ok), null, ok);
  assert.equal(await ua(conf), null, 'no User-Agent passes');
});

test('bot-detection: allow wins over deny and the built-in list; deny adds patterns', async () => {
  const conf = configure(plugin, { allow: ['Googlebot'], deny: ['curl/', 'Chrome/120'] });
  assert.equal(await ua(conf, 'Mozilla/5.0 (compatible; Googlebot/2.1)'), null);
  assert.deepEqual(await ua(conf, 'curl/8.5.0'), FORBIDDEN);
  assert.deepEqual(await ua(conf, BROWSER), FORBIDDEN);
  assert.deepEqual(await ua(conf, 'bingbot/2.0'), FORBIDDEN);
  // Cached verdicts give the same answers.
  assert.deepEqual(await ua(conf, 'curl/8.5.0'), FORBIDDEN);
  assert.equal(await ua(conf, 'Mozilla/5.0 (compatible; Googlebot/2.1)'), null);
  // Surrounding spaces are ignored, as Kong strips the header.
  assert.equal((await ua(configure(plugin, { deny: ['^evil$'] }), '  evil  '))?.status, 403);
});

test('bot-detection: an invalid regex is refused with the entry named', () => {
  assert.throws(() => configure(plugin, { deny: ['ok', '(unclosed'] }), /deny\.1: '\(unclosed' is not a valid regex/);
  assert.throws(() => configure(plugin, { allow: ['['] }), /allow\.0/);
  assert.throws(() => configure(plugin, { allow: 'Googlebot' }), /schema: \/allow/);
});
