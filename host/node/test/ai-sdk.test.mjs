// The Vercel AI SDK 6 provider: the registry snippet from the README unchanged, streaming,
// tools, rerank, and provider errors as APICallError.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APICallError, createProviderRegistry, generateText, rerank, streamText, tool, jsonSchema, stepCountIs } from 'ai';

import { createBedrockProvider } from '../dist/esm/index.js';
import { settingsFor, startEmulator } from './helpers.mjs';

let emu;
let provider;

before(async () => {
  emu = await startEmulator();
  provider = createBedrockProvider(settingsFor(emu, { maxAttempts: 1 }));
});
after(async () => {
  await provider.close();
  await emu.stop();
});

test('the registry snippet works unchanged (generateText and rerank)', async () => {
  await emu.clear();
  const registry = createProviderRegistry({ 'amazon-bedrock': provider }, { separator: '|' });
  const result = await generateText({ model: registry.languageModel('amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0'), prompt: 'hi' });
  assert.equal(result.text, 'Hello from the Bedrock emulator. You said: hi');
  assert.equal(result.finishReason, 'stop');
  assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
  assert.ok(result.providerMetadata['amazon-bedrock'].requestId);
  const ranked = await rerank({
    model: registry.rerankingModel('amazon-bedrock|cohere.rerank-v3-5:0'),
    query: 'What is the capital of France?',
    documents: ['Bananas are yellow.', 'Paris is the capital of France.', 'Berlin is in Germany.'],
  });
  assert.equal(ranked.ranking[0].originalIndex, 1);
  assert.equal(ranked.rerankedDocuments[0], 'Paris is the capital of France.');
  const requests = await emu.requests();
  assert.ok(requests.every((r) => r.signatureValid === true), 'valid signatures');
  assert.deepEqual(requests.map((r) => r.path), ['/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse', '/rerank']);
});

test('the on-demand error is an APICallError with our kind and the profile ID in the solution', async () => {
  const registry = createProviderRegistry({ 'amazon-bedrock': provider }, { separator: '|' });
  const error = await generateText({ model: registry.languageModel('amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0'), prompt: 'hi' })
    .then(() => undefined, (e) => e);
  assert.ok(APICallError.isInstance(error), String(error));
  assert.equal(error.isRetryable, false);
  assert.equal(error.statusCode, 400);
  assert.equal(error.data.kind, 'on-demand-unsupported');
  assert.match(error.data.solution, /us\.anthropic\.claude-sonnet-4-5-20250929-v1:0/);
  assert.ok(error.data.cause);
  assert.match(error.message, /Solution: /);
  assert.equal(error.cause.kind, 'on-demand-unsupported');
});

test('retryable provider errors are retryable APICallErrors (the AI SDK retries them)', async () => {
  await emu.clear();
  const error = await generateText({
    model: provider.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
    prompt: 'hi',
    headers: { 'x-emulator-fault': 'throttling' },
    maxRetries: 1,
  }).then(() => undefined, (e) => e);
  // After its retries the AI SDK throws RetryError, whose last error is ours.
  const last = error.lastError ?? error;
  assert.ok(APICallError.isInstance(last), String(error));
  assert.equal(last.isRetryable, true);
  assert.equal(last.data.kind, 'throttled');
  assert.equal((await emu.requests()).length, 2, 'the AI SDK retried once');
});

test('streamText streams text as it is produced, with usage and finish reason', async () => {
  const result = streamText({
    model: provider.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
    prompt: 'hi',
    headers: { 'x-emulator-frame-delay-ms': '100' },
  });
  const started = performance.now();
  const arrivals = [];
  let text = '';
  for await (const delta of result.textStream) {
    arrivals.push(performance.now() - started);
    text += delta;
  }
  assert.equal(text, 'Hello from the Bedrock emulator. You said: hi');
  assert.ok(arrivals.length > 3);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 100 * (arrivals.length - 2), `deltas arrived as produced: ${arrivals.map(Math.round)}`);
  assert.equal(await result.finishReason, 'stop');
  assert.ok((await result.usage).outputTokens > 0);
});

test('tools: a tool loop through generateText, and tool calls in streamText', async () => {
  const weather = tool({
    description: 'The weather in a city.',
    inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    execute: async ({ city }) => ({ city, temperature: 21 }),
  });
  const model = provider.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
  const result = await generateText({ model, prompt: 'Weather in Paris?', tools: { get_weather: weather }, stopWhen: stepCountIs(3) });
  assert.equal(result.steps[0].toolCalls[0].toolName, 'get_weather');
  assert.deepEqual(result.steps[0].toolCalls[0].input, { city: 'Paris' });
  assert.equal(result.steps.length, 2);
  assert.ok(result.text.length > 0);
  const streamed = streamText({ model, prompt: 'Weather in Paris?', tools: { get_weather: weather } });
  const calls = [];
  for await (const part of streamed.fullStream) if (part.type === 'tool-call') calls.push(part);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].input, { city: 'Paris' });
});

test('reasoning comes back with its signature as provider metadata', async () => {
  const result = await generateText({
    model: provider.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
    prompt: 'hi',
    providerOptions: { 'amazon-bedrock': { reasoningBudget: 1024 } },
  });
  assert.ok(result.reasoningText.length > 0);
  assert.ok(result.reasoning[0].providerMetadata['amazon-bedrock'].signature);
});

test('warnings for settings Bedrock does not take; stream errors as error parts', async () => {
  const result = await generateText({ model: provider.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0'), prompt: 'hi', topK: 3, seed: 1 });
  assert.deepEqual(result.warnings.map((w) => w.feature).sort(), ['seed', 'topK']);
  const errors = [];
  const streamed = streamText({
    model: provider.languageModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
    prompt: 'hi',
    headers: { 'x-emulator-fault': 'stream-throttling' },
    onError: ({ error }) => errors.push(error),
  });
  let text = '';
  for await (const delta of streamed.textStream) text += delta;
  assert.ok(text.length > 0);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].data.kind, 'throttled');
});
