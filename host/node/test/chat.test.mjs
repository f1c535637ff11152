// Chat, tools, rerank, check and the schema through the Node host against the emulator, which
// recomputes every SigV4 signature (tests/tests/chat.rs, rerank.rs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { openProvider } from '../dist/esm/index.js';
import { chat, settingsFor, startEmulator, weatherTool } from './helpers.mjs';

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

test('generate answers and the signature verifies', async () => {
  await emu.clear();
  const answer = await open(settingsFor(emu)).generate(chat('What is Bedrock?'));
  assert.match(answer.text, /What is Bedrock\?/);
  assert.equal(answer.finishReason, 'stop');
  assert.ok(answer.usage.inputTokens > 0 && answer.usage.outputTokens > 0);
  assert.equal(typeof answer.usage.inputTokens, 'number', 'u64 values are numbers');
  assert.equal(answer.usage.totalTokens, answer.usage.inputTokens + answer.usage.outputTokens);
  assert.ok(answer.metadata.requestId);
  const requests = await emu.requests();
  assert.equal(requests.length, 1);
  assert.equal(requests[0].signatureValid, true);
  assert.equal(requests[0].path, '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse');
});

test('signatures verify for every model ID form', async () => {
  const provider = open(settingsFor(emu));
  const models = [
    ['amazon-bedrock|amazon.nova-lite-v1:0', '/model/amazon.nova-lite-v1%3A0/converse'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', '/model/global.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse'],
    ['amazon-bedrock|arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse'],
  ];
  for (const [model, path] of models) {
    await provider.generate(chat('hi', model));
    const last = (await emu.requests()).at(-1);
    assert.equal(last.path, path);
    assert.equal(last.signatureValid, true, model);
  }
});

test('temporary credentials sign the session token; custom headers are sent unsigned', async () => {
  await open(settingsFor(emu, { accessKeyId: emu.demo.temporaryAccessKeyId, sessionToken: emu.demo.sessionToken })).generate(chat('hi'));
  let last = (await emu.requests()).at(-1);
  assert.equal(last.signatureValid, true);
  assert.ok(last.signedHeaders.includes('x-amz-security-token'));
  await open(settingsFor(emu, { headers: { 'X-Custom-Header': 'custom-value' } })).generate(chat('hi'));
  last = (await emu.requests()).at(-1);
  assert.equal(last.headers['x-custom-header'], 'custom-value');
  assert.ok(!last.signedHeaders.includes('x-custom-header'));
  assert.equal(last.signatureValid, true);
});

test('an API key is sent as a bearer token', async () => {
  await open(settingsFor(emu, { accessKeyId: null, secretAccessKey: null, apiKey: emu.demo.apiKey })).generate(chat('hi'));
  const last = (await emu.requests()).at(-1);
  assert.equal(last.headers.authorization, `Bearer ${emu.demo.apiKey}`);
  assert.equal(last.headers['x-amz-date'], undefined);
});

test('check answers the setup checklist for every configured model', async () => {
  const report = await open(settingsFor(emu)).check();
  assert.equal(report.region, 'us-east-1');
  assert.equal(report.endpoint, emu.baseUrl);
  assert.equal(report.controlPlaneEndpoint, emu.baseUrl);
  assert.ok(report.auth.includes('AKID') && !report.auth.includes('EXAMPLEKEY'), report.auth);
  assert.deepEqual(report.models.map((m) => [m.kind, m.setting, m.model]), [
    ['language', 'languageModel', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['reranking', 'rerankingModel', 'cohere.rerank-v3-5:0'],
  ]);
  for (const m of report.models) {
    assert.deepEqual(m.rows.map((r) => [r.requirement, r.status]), [
      ['on-demand', 'passed'], ['region', 'passed'], ['access', 'passed'], ['lifecycle', 'passed'], ['live-call', 'passed'],
    ]);
    const live = m.rows[4];
    assert.equal(typeof live.latencyMs, 'number');
    assert.equal(typeof live.requestId, 'string');
  }
  assert.ok(report.models[0].rows[4].evidence.startsWith('Converse answered'), report.models[0].rows[4].evidence);
});

test('check names the fix for a bare profile-only model as a failed row', async () => {
  const settings = settingsFor(emu, { languageModel: 'amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0', rerankingModel: null });
  const report = await open(settings).check();
  const [onDemand] = report.models[0].rows;
  assert.equal(onDemand.requirement, 'on-demand');
  assert.equal(onDemand.status, 'failed');
  assert.ok(onDemand.fix.includes('amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0'), onDemand.fix);
  assert.equal(report.models[0].rows[4].status, 'failed');
});

test('inference settings reach Bedrock', async () => {
  await emu.clear();
  const request = chat('Count: one two three four five six seven');
  request.settings.maxTokens = 3;
  request.settings.temperature = 0.2;
  const answer = await open(settingsFor(emu)).generate(request);
  assert.equal(answer.finishReason, 'length');
  const body = JSON.parse((await emu.requests())[0].body);
  assert.equal(body.inferenceConfig.maxTokens, 3);
  assert.ok(Math.abs(body.inferenceConfig.temperature - 0.2) < 1e-6);
});

test('a settings schema is published', async () => {
  const schema = await open(settingsFor(emu)).settingsSchema();
  assert.equal(schema.properties.secretAccessKey.writeOnly, true);
  assert.equal(typeof schema.properties.region, 'object');
});

test('tools: the model calls a tool, the result goes back, the answer uses it', async () => {
  const provider = open(settingsFor(emu));
  const request = { ...chat('Weather in Paris?'), tools: [weatherTool] };
  const first = await provider.generate(request);
  assert.equal(first.finishReason, 'tool-calls');
  const call = first.content.find((p) => p.tag === 'tool-call')?.val;
  assert.ok(call, JSON.stringify(first.content));
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.inputJson), { city: 'Paris' });
  const followUp = {
    ...request,
    messages: [
      ...request.messages,
      { role: 'assistant', content: first.content },
      { role: 'tool', content: [{ tag: 'tool-result', val: { id: call.id, content: [{ tag: 'json', val: '{"temperature": 21}' }], isError: false } }] },
    ],
  };
  const second = await provider.generate(followUp);
  assert.equal(second.finishReason, 'stop');
  assert.ok(second.text.length > 0);
  const body = JSON.parse((await emu.requests()).at(-1).body);
  assert.equal(body.messages.length, 3);
  assert.equal(body.toolConfig.tools[0].toolSpec.name, 'get_weather');
});

const documents = [
  'Paris is the capital of France.',
  'Berlin is the capital of Germany.',
  'The Seine flows through Paris.',
  'Bananas are yellow.',
].map((val) => ({ tag: 'text', val }));

test('rerank on both paths: the Rerank API (SigV4) and InvokeModel (API key)', async () => {
  await emu.clear();
  const request = { query: 'What is the capital of France?', documents };
  const sigv4 = await open(settingsFor(emu)).rerank(request);
  assert.equal(sigv4.results.length, 4);
  assert.equal(sigv4.results[0].index, 0);
  assert.ok(sigv4.results[0].relevanceScore >= sigv4.results[1].relevanceScore);
  assert.equal(sigv4.metadata.model, 'cohere.rerank-v3-5:0');
  const bearer = await open(settingsFor(emu, { accessKeyId: null, secretAccessKey: null, apiKey: emu.demo.apiKey }))
    .rerank({ ...request, topN: 2 });
  assert.equal(bearer.results.length, 2);
  assert.deepEqual(bearer.results.map((r) => r.index), sigv4.results.slice(0, 2).map((r) => r.index));
  const sent = await emu.requests();
  assert.equal(sent[0].path, '/rerank');
  assert.equal(sent[0].signatureValid, true);
  assert.equal(sent[1].path, '/model/cohere.rerank-v3-5%3A0/invoke');
});

test('the agent runtime base URL takes the rerank calls', async () => {
  const runtime = await startEmulator();
  try {
    await emu.clear();
    const settings = settingsFor(emu, { baseUrl: runtime.baseUrl, agentRuntimeBaseUrl: emu.baseUrl });
    const response = await open(settings).rerank({ query: 'capital of France', documents });
    assert.equal(response.results.length, 4);
    assert.equal((await emu.requests()).length, 1);
    await open(settings).generate(chat('hi'));
    assert.equal((await runtime.requests()).length, 1);
  } finally {
    await runtime.stop();
  }
});
