// Known secrets go through every operation and error path of the Node host and none comes back
// out: not in results, errors (messages, JSON, inspect), AI SDK errors, nor anything written to
// stdout/stderr during the run (tests/tests/secrets.rs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

import { createBedrockProvider, openProvider } from '../dist/esm/index.js';
import { generateText } from 'ai';
import { blackHole, chat, drain, faultNames, merge, startEmulator } from './helpers.mjs';

const ACCESS_KEY_ID = 'AKIASECRETSTEST00001';
const TEMPORARY_ACCESS_KEY_ID = 'ASIASECRETSTEST00002';
const SECRET_ACCESS_KEY = 'sEcReT/aCcEsS+kEy9x7Q2w4E6r8T0y1U3i5O7pZ';
const SESSION_TOKEN = 'IQoJsEsSiOnToKeNb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDvalue==';
const API_KEY = 'ABSKc2VjcmV0cy10ZXN0LWFwaS1rZXk6dmFsdWU5ODc2NTQzMjE=';
const HEADER_SECRET = 'gw-key-9f8e7d6c5b4a3210fedcba';
const SECRETS = [SECRET_ACCESS_KEY, SESSION_TOKEN, API_KEY, HEADER_SECRET];

/** Fails if `text` contains any 12-character run of a secret: a partial leak is a leak. */
function assertNoSecret(what, text) {
  for (const secret of SECRETS) {
    for (let i = 0; i + 12 <= secret.length; i++) {
      const window = secret.slice(i, i + 12);
      assert.ok(!text.includes(window), `${what} leaks \`${window}\` of a secret`);
    }
  }
}

let emu;
let host;
let captured = '';
const restore = [];

before(async () => {
  // Everything written to stdout and stderr from here on is checked at the end.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return write(chunk, ...rest);
    };
    restore.push(() => (stream.write = write));
  }
  emu = await startEmulator([
    '--credential', `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`,
    '--credential', `${TEMPORARY_ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}:${SESSION_TOKEN}`,
    '--api-key', API_KEY,
  ]);
  host = openProvider({}).host;
});
after(async () => {
  await host.close();
  await emu.stop();
  for (const r of restore) r();
  assertNoSecret('stdout/stderr during the run', captured);
});

const auths = () => {
  const headers = { 'x-gateway-key': HEADER_SECRET };
  return [
    ['key pair', { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, headers }],
    ['temporary key pair', { accessKeyId: TEMPORARY_ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN, headers }],
    ['API key', { apiKey: API_KEY, headers }],
  ];
};

function settings(auth, extra = {}) {
  const base = merge({
    region: 'us-east-1',
    baseUrl: emu.baseUrl,
    languageModel: 'amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    rerankingModel: 'amazon-bedrock|cohere.rerank-v3-5:0',
    ...auth,
  }, extra);
  if (extra.headers) base.headers = { ...auth.headers, ...extra.headers };
  return base;
}

const show = (value) => `${inspect(value, { depth: 10, showHidden: true })}\n${JSON.stringify(value) ?? ''}\n${value instanceof Error ? value.stack : ''}\n`;

async function everyOperation(provider) {
  let seen = '';
  for (const op of [
    () => provider.generate(chat('hi')),
    async () => drain(provider.stream(chat('hi'))),
    () => provider.rerank({ query: 'capital of France', documents: [{ tag: 'text', val: 'Paris' }, { tag: 'text', val: 'Rome' }], topN: 1 }),
    () => provider.check(),
  ]) {
    try {
      seen += show(await op());
    } catch (e) {
      seen += show(e);
    }
  }
  return seen;
}

test('successful calls never show a secret', async () => {
  let seen = show(await openProvider({}, { host }).settingsSchema());
  for (const [name, auth] of auths()) {
    const out = await everyOperation(openProvider(settings(auth), { host }));
    assert.match(out, /rawFinishReason/, name);
    assert.match(out, /relevanceScore/, name);
    seen += out;
  }
  assert.ok((await emu.requests()).some((r) => r.headers['x-gateway-key'] === HEADER_SECRET));
  assertNoSecret('results', seen);
});

test('every injected fault is reported without a secret', async () => {
  let seen = '';
  let errors = 0;
  for (const [, auth] of auths()) {
    for (const fault of await faultNames()) {
      const provider = openProvider(settings(auth, { maxAttempts: 1, headers: { 'x-emulator-fault': fault.name } }), { host });
      let outcome;
      if (fault.stream) outcome = await drain(provider.stream(chat('hi')));
      else if (fault.name.includes('rerank')) outcome = await provider.rerank({ query: 'q', documents: [{ tag: 'text', val: 'd' }] }).catch((e) => e);
      else outcome = await provider.generate(chat('hi')).catch((e) => e);
      const text = show(outcome);
      if (/ProviderError/.test(text)) errors += 1;
      seen += text;
    }
  }
  assert.ok(errors >= 3 * 60, `only ${errors} faults produced errors`);
  assertNoSecret('fault errors', seen);
});

test('invalid settings and failed connections never echo a secret', async () => {
  const [[, pair], [, temporary], [, apiKey]] = auths();
  const cases = [
    [pair, { secretAccessKey: `${SECRET_ACCESS_KEY} ` }],
    [temporary, { sessionToken: `${SESSION_TOKEN}\n` }],
    [apiKey, { apiKey: ` ${API_KEY}` }],
    [pair, { accessKeyId: SECRET_ACCESS_KEY }],
    [pair, { secretAcessKey: SECRET_ACCESS_KEY }],
    [pair, { baseUrl: `https://user:${SECRET_ACCESS_KEY}@gw.example.com` }],
    [pair, { baseUrl: `https://gw.example.com/?key=${API_KEY}` }],
    [pair, { headers: { 'x-gateway-key': `${HEADER_SECRET}\r\n` } }],
    [pair, { headers: { Authorization: `Bearer ${API_KEY}` } }],
  ];
  let seen = '';
  for (const [auth, extra] of cases) {
    const e = await openProvider(settings(auth, extra), { host }).generate(chat('hi')).catch((x) => x);
    assert.equal(e.kind, 'invalid-settings', JSON.stringify(extra));
    seen += show(e);
  }
  const cut = await openProvider(`{"apiKey": "${API_KEY}`, { host }).generate(chat('hi')).catch((x) => x);
  assert.equal(cut.kind, 'invalid-settings');
  seen += show(cut);
  // Refused by the policy, refused connections, the whole call timing out.
  const hole = await blackHole();
  const closed = hole.port;
  for (const [, auth] of auths()) {
    const denied = openProvider(settings(auth, { maxAttempts: 1 }), { rules: { allowBaseUrls: false }, host: undefined, maxWorkers: 1 });
    seen += await everyOperation(denied);
    await denied.close();
    seen += await everyOperation(openProvider(settings(auth, { baseUrl: `http://127.0.0.1:${closed}`, maxAttempts: 1, timeouts: { totalMs: 300 } }), { host }));
  }
  hole.close();
  // The AI SDK path.
  const sdk = createBedrockProvider(settings(auths()[0][1], { maxAttempts: 1, headers: { 'x-emulator-fault': 'invalid-signature' } }), { host });
  seen += show(await generateText({ model: sdk.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0'), prompt: 'hi', maxRetries: 0 }).catch((e) => e));
  assertNoSecret('settings and connection errors', seen);
});
