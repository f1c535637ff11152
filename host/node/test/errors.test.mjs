// Every Bedrock error the emulator injects comes out of the component, through the Node host,
// as the right stable kind with a cause and a solution (tests/tests/errors.rs, rerank.rs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { openProvider, ProviderError } from '../dist/esm/index.js';
import { chat, faultNames, faultSettings, rejection, settingsFor, startEmulator } from './helpers.mjs';

let emu;
let host;
const open = (settings) => openProvider(settings, { host });

before(async () => {
  emu = await startEmulator();
  host = openProvider({}).host;
});
after(async () => {
  await host.close();
  await emu.stop();
});

function expectedKind(fault) {
  if (['on-demand', 'no-on-demand'].includes(fault)) return 'on-demand-unsupported';
  if (['invalid-model-id', 'end-of-life', 'legacy'].includes(fault)) return 'model-not-found';
  if (['no-model-access', 'iam-denied', 'marketplace', 'ftu-form'].includes(fault)) return 'access-denied';
  if (['throttling', 'throttling-long', 'too-many-tokens'].includes(fault)) return 'throttled';
  if (fault === 'quota') return 'quota-exceeded';
  if (fault === 'model-not-ready') return 'model-not-ready';
  if (fault === 'model-timeout') return 'model-timeout';
  if (fault === 'model-error') return 'model-error';
  if (fault === 'internal') return 'internal';
  if (['unavailable', 'proxy-502'].includes(fault)) return 'service-unavailable';
  if (['invalid-signature', 'unrecognized-client', 'incomplete-signature', 'invalid-client-token-id',
    'missing-token', 'missing-auth', 'bad-api-key'].includes(fault)) return 'authentication';
  if (['signature-expired', 'expired-token'].includes(fault)) return 'expired-credentials';
  if (fault === 'unknown-operation') return 'invalid-response';
  if (fault.startsWith('validation')) return 'invalid-request';
  return undefined;
}

test('every chat fault maps to its kind with cause and solution', async () => {
  let checked = 0;
  for (const fault of (await faultNames()).filter((f) => !f.stream)) {
    const kind = expectedKind(fault.name);
    if (kind === undefined) continue;
    const e = await rejection(open(faultSettings(emu, fault.name)).generate(chat('hi')));
    assert.ok(e instanceof ProviderError, `${fault.name}: ${e}`);
    assert.equal(e.kind, kind, `${fault.name}: ${JSON.stringify(e)}`);
    assert.ok(e.message.length > 0);
    assert.ok(e.cause, `${fault.name} has no cause`);
    assert.ok(e.solution, `${fault.name} has no solution`);
    assert.ok(!e.message.includes('http://internal'), e.message);
    if (fault.name !== 'unknown-operation' && fault.name !== 'proxy-502') {
      assert.equal(e.status, fault.status, fault.name);
      assert.equal(e.code, fault.code, fault.name);
      assert.ok(e.requestId, `${fault.name} lost the request id`);
    }
    checked += 1;
  }
  assert.ok(checked >= 40, `only ${checked} faults checked`);
});

test('the seed errors read well', async () => {
  const bare = 'amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0';
  let e = await rejection(open(settingsFor(emu, { maxAttempts: 1 })).generate(chat('hi', bare)));
  assert.equal(e.kind, 'on-demand-unsupported');
  assert.match(e.solution, /us\.anthropic\.claude-sonnet-4-5-20250929-v1:0/);
  assert.equal(e.retryable, false);
  e = await rejection(open(settingsFor(emu, { maxAttempts: 1, region: 'eu-west-1' })).generate(chat('hi', bare)));
  assert.match(e.solution, /eu\.anthropic\.claude-sonnet-4-5-20250929-v1:0/);
  e = await rejection(open(faultSettings(emu, 'no-model-access')).generate(chat('hi')));
  assert.equal(e.kind, 'access-denied');
  assert.match(e.solution, /Model access/);
  e = await rejection(open(faultSettings(emu, 'too-many-tokens')).generate(chat('hi')));
  assert.equal(e.kind, 'throttled');
  assert.equal(e.retryable, true);
  e = await rejection(open(settingsFor(emu, { maxAttempts: 1 })).generate(chat('hi', 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0')));
  assert.equal(e.kind, 'model-not-found');
  assert.match(e.solution, /region/);
});

test('retryable errors are retried through the component', async () => {
  await emu.clear();
  const e = await rejection(open(faultSettings(emu, 'throttling', { maxAttempts: 3 })).generate(chat('hi')));
  assert.equal(e.kind, 'throttled');
  assert.match(e.message, /3 attempts/);
  assert.equal((await emu.requests()).length, 3);
});

test('bad settings name the field and never reach the network', async () => {
  await emu.clear();
  const cases = [
    [{ region: 'mars-1' }, 'region'],
    [{ regoin: 'us-east-1' }, 'regoin'],
    [{ secretAccessKey: null }, 'secretAccessKey'],
    [{ accessKeyId: 'ASIAEXAMPLETEMPORARY' }, 'sessionToken'],
    [{ baseUrl: 'http://bedrock.example.com' }, 'baseUrl'],
    [{ headers: { Authorization: 'x' } }, 'headers.Authorization'],
    [{ languageModel: 'openai|gpt-4o' }, 'languageModel'],
  ];
  for (const [extra, field] of cases) {
    const e = await rejection(open(settingsFor(emu, extra)).generate(chat('hi')));
    assert.equal(e.kind, 'invalid-settings', JSON.stringify(extra));
    assert.equal(e.field, field, JSON.stringify(extra));
    assert.ok(e.solution);
  }
  // Not JSON at all.
  const e = await rejection(open('{"region": ').generate(chat('hi')));
  assert.equal(e.kind, 'invalid-settings');
  assert.equal((await emu.requests()).length, 0, 'bad settings reached the network');
});

test('a bad request is refused before sending', async () => {
  await emu.clear();
  const request = chat('hi');
  request.messages[0].content = [{ tag: 'text', val: '   ' }];
  const e = await rejection(open(settingsFor(emu)).generate(request));
  assert.equal(e.kind, 'invalid-request');
  assert.ok(e.field);
  assert.equal((await emu.requests()).length, 0);
});

test('a wrong secret is diagnosed', async () => {
  const e = await rejection(open(settingsFor(emu, { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY' })).generate(chat('hi')));
  assert.equal(e.kind, 'authentication');
  assert.equal(e.code, 'InvalidSignatureException');
  assert.match(e.cause, /secret access key/);
  assert.ok(!e.message.includes('Canonical String'));
});

test('a host refusal reaches the operator as denied-by-host', async () => {
  await emu.clear();
  const denied = [];
  const provider = openProvider(settingsFor(emu, { baseUrl: 'https://10.0.0.1/bedrock', maxAttempts: 1 }), {
    onDenied: (reason) => denied.push(reason),
    maxWorkers: 1,
  });
  try {
    const e = await rejection(provider.generate(chat('hi')));
    assert.equal(e.kind, 'denied-by-host', JSON.stringify(e));
    assert.equal(e.field, 'baseUrl');
    assert.match(e.solution, /baseUrl/);
    assert.equal(e.retryable, false);
    assert.equal((await emu.requests()).length, 0);
    assert.equal(denied.length, 1);
    assert.match(denied[0], /10\.0\.0\.1/);
    assert.match(denied[0], /`baseUrl` allows nothing: IP addresses other than loopback/);
  } finally {
    await provider.close();
  }
});

test('rerank faults map to sensible kinds on both paths', async () => {
  const table = {
    'rerank-invalid-arn': ['model-not-found', 'rerankingModel', false],
    'rerank-region': ['region-unsupported', 'region', false],
    'rerank-access-denied': ['access-denied', 'rerankingModel', false],
    'rerank-conflict': ['invalid-request', undefined, false],
    'rerank-dependency-failed': ['service-unavailable', undefined, true],
    'rerank-bad-gateway': ['service-unavailable', undefined, true],
    'rerank-internal': ['internal', undefined, true],
    'rerank-throttling': ['throttled', undefined, true],
    'rerank-quota': ['quota-exceeded', undefined, false],
    'rerank-not-found': ['model-not-found', 'rerankingModel', false],
    'cohere-api-version': ['invalid-request', undefined, false],
    'amazon-rerank-api-version': ['invalid-request', undefined, false],
  };
  const request = { query: 'capital of France', documents: [{ tag: 'text', val: 'Paris' }, { tag: 'text', val: 'Rome' }] };
  for (const [name, [kind, field, retryable]] of Object.entries(table)) {
    const sigv4 = faultSettings(emu, name);
    const bearer = faultSettings(emu, name, { accessKeyId: null, secretAccessKey: null, apiKey: emu.demo.apiKey });
    for (const settings of [sigv4, bearer]) {
      const e = await rejection(open(settings).rerank(request));
      assert.equal(e.kind, kind, `${name}: ${JSON.stringify(e)}`);
      assert.equal(e.field, field, name);
      assert.equal(e.retryable, retryable, name);
      assert.ok(e.requestId, name);
      assert.ok(e.cause && e.solution, name);
    }
  }
});
