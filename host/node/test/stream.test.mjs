// ConverseStream through the Node host (tests/tests/streaming.rs): parts in order and as they
// are produced, every in-stream fault, HTTP faults before the stream, tools, reasoning, and
// readers that stop early.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { openProvider } from '../dist/esm/index.js';
import {
  HI_ANSWER, chat, drain, faultNames, faultSettings, rejection, settingsFor, startEmulator, tags, textOf, weatherTool,
} from './helpers.mjs';

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

test('a stream delivers start, text, finish, usage and the same text as generate', async () => {
  await emu.clear();
  const provider = open(settingsFor(emu));
  const { parts, error } = await drain(provider.stream(chat('hi')));
  assert.equal(error, undefined);
  const t = tags(parts);
  const n = t.length;
  assert.equal(t[0], 'start');
  assert.ok(t.slice(1, n - 2).every((x) => x === 'text-delta'), t.join());
  assert.deepEqual(t.slice(n - 2), ['finish', 'usage']);
  assert.ok(n - 3 > 3, 'the answer came in several deltas');
  assert.equal(parts[0].val.model, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0');
  assert.ok(parts[0].val.requestId);
  assert.equal(parts[n - 2].val.reason, 'stop');
  assert.equal(parts[n - 2].val.raw, 'end_turn');
  assert.equal(textOf(parts), HI_ANSWER);
  const answer = await provider.generate(chat('hi'));
  assert.equal(answer.text, HI_ANSWER);
  assert.equal(parts[n - 1].val.outputTokens, answer.usage.outputTokens);
  const requests = await emu.requests();
  assert.equal(requests[0].path, '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream');
  assert.equal(requests[0].signatureValid, true);
});

test('the real recording decodes to its parts', async () => {
  const settings = settingsFor(emu, { headers: { 'x-emulator-scenario': 'recording' } });
  const { parts, error } = await drain(open(settings).stream(chat('Say OK.')));
  assert.equal(error, undefined);
  assert.deepEqual(tags(parts), ['start', 'text-delta', 'text-delta', 'finish', 'usage']);
  assert.deepEqual(parts.filter((p) => p.tag === 'text-delta').map((p) => [p.val.index, p.val.text]), [[0, 'OK'], [0, '.']]);
  const usage = parts[4].val;
  assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.totalTokens], [12, 5, 17]);
});

const streamKinds = {
  'stream-throttling': 'throttled',
  'stream-model-error': 'model-error',
  'stream-validation': 'invalid-request',
  'stream-internal': 'internal',
  'stream-unavailable': 'service-unavailable',
  'stream-bad-crc': 'invalid-response',
  'stream-no-stop': 'invalid-response',
  'stream-cut': 'network',
};

test('every stream fault (cut streams included) is a mapped error after the text already delivered', async () => {
  let checked = 0;
  for (const fault of (await faultNames()).filter((f) => f.stream)) {
    const { parts, error } = await drain(open(faultSettings(emu, fault.name)).stream(chat('hi')));
    assert.ok(error, `${fault.name}: the stream ended cleanly after ${tags(parts)}`);
    assert.equal(error.kind, streamKinds[fault.name], `${fault.name}: ${JSON.stringify(error)}`);
    assert.ok(error.cause && error.solution, fault.name);
    assert.ok(error.requestId, `${fault.name} lost the request id`);
    if (fault.code) {
      assert.equal(error.code, fault.code, fault.name);
      assert.match(error.cause, /mid-stream/);
    }
    assert.equal(tags(parts)[0], 'start');
    const text = textOf(parts);
    assert.ok(text.length > 0 && HI_ANSWER.startsWith(text), `${fault.name}: ${text}`);
    assert.ok(!parts.some((p) => p.tag === 'finish' || p.tag === 'usage'), fault.name);
    checked += 1;
  }
  assert.equal(checked, 8);
});

test('HTTP faults before the stream are retried and mapped like generate', async () => {
  await emu.clear();
  const e = await rejection(open(faultSettings(emu, 'throttling', { maxAttempts: 3 })).stream(chat('hi')).ready);
  assert.equal(e.kind, 'throttled');
  assert.match(e.message, /3 attempts/);
  const requests = await emu.requests();
  assert.equal(requests.length, 3);
  assert.ok(requests.every((r) => r.path.endsWith('/converse-stream')));
  let checked = 0;
  for (const fault of (await faultNames()).filter((f) => !f.stream)) {
    const provider = open(faultSettings(emu, fault.name));
    const generated = await rejection(provider.generate(chat('hi')));
    const { parts, error } = await drain(provider.stream(chat('hi')));
    assert.equal(parts.length, 0, `${fault.name}: the stream started`);
    for (const key of ['kind', 'code', 'status', 'retryable', 'field']) {
      assert.equal(error[key], generated[key], `${fault.name}: ${key}`);
    }
    checked += 1;
  }
  assert.ok(checked >= 50);
});

test('tool calls stream as start, fragments and the joined input', async () => {
  const provider = open(settingsFor(emu));
  const request = { ...chat('Weather in Paris?'), tools: [weatherTool] };
  const { parts, error } = await drain(provider.stream(request));
  assert.equal(error, undefined);
  const t = tags(parts);
  const n = t.length;
  assert.deepEqual(t.slice(0, 2), ['start', 'tool-call-start']);
  assert.ok(t.slice(2, n - 3).every((x) => x === 'tool-call-delta') && n - 5 >= 2, t.join());
  assert.deepEqual(t.slice(n - 3), ['tool-call-end', 'finish', 'usage']);
  const end = parts[n - 3].val;
  assert.equal(end.inputJson, parts.filter((p) => p.tag === 'tool-call-delta').map((p) => p.val.inputFragment).join(''));
  assert.deepEqual(JSON.parse(end.inputJson), { city: 'Paris' });
  assert.equal(parts[n - 2].val.reason, 'tool-calls');
});

test('reasoning streams before the text with its signature', async () => {
  const provider = open(settingsFor(emu));
  const request = chat('hi');
  request.settings.reasoningBudget = 1024;
  const { parts, error } = await drain(provider.stream(request));
  assert.equal(error, undefined);
  const t = tags(parts);
  assert.ok(t.lastIndexOf('reasoning-delta') < t.indexOf('text-delta'), t.join());
  const reasoning = parts.filter((p) => p.tag === 'reasoning-delta').map((p) => p.val);
  assert.ok(reasoning.length >= 2);
  assert.equal(reasoning.filter((r) => r.signature !== undefined).length, 1);
  const answer = await provider.generate(request);
  const generated = answer.content[0];
  assert.equal(generated.tag, 'reasoning');
  assert.equal(reasoning.map((r) => r.text ?? '').join(''), generated.val.val.text);
  assert.equal(textOf(parts), answer.text);
});

test('parts arrive as they are produced (first token long before the whole answer)', async () => {
  const DELAY = 150;
  const settings = settingsFor(emu, { headers: { 'x-emulator-frame-delay-ms': String(DELAY) } });
  const started = performance.now();
  let first;
  let deltas = 0;
  for await (const part of open(settings).stream(chat('hi'))) {
    if (part.tag === 'text-delta') {
      deltas += 1;
      first ??= performance.now() - started;
    }
  }
  const total = performance.now() - started;
  const frames = deltas + 4;
  assert.ok(total >= DELAY * (frames - 1) - 20, `total ${total} for ${frames} frames`);
  assert.ok(first < total / 2, `first ${first}, total ${total}`);
  assert.ok(first >= DELAY - 20, `the first delta is the second frame: ${first}`);
});

test('a reader that stops early leaves the host healthy', async () => {
  await emu.clear();
  const provider = openProvider(settingsFor(emu, { headers: { 'x-emulator-frame-delay-ms': '50' } }), { maxWorkers: 2 });
  try {
    for (let round = 0; round < 10; round++) {
      for await (const part of provider.stream(chat('hi'))) {
        if (part.tag === 'text-delta') break;
      }
    }
    assert.equal((await emu.requests()).length, 10);
    const { parts, error } = await drain(provider.stream(chat('hi')));
    assert.equal(error, undefined);
    assert.equal(textOf(parts), HI_ANSWER);
    const [a, b] = await Promise.all([drain(provider.stream(chat('hi'))), drain(provider.stream(chat('hi')))]);
    assert.equal(textOf(a.parts), textOf(b.parts));
    assert.equal(provider.host.workerCount, 2);
  } finally {
    await provider.close();
  }
});
