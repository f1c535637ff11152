#!/usr/bin/env node
// Per-call overhead of the Node host against a plain request to the same canned upstream, the
// instance start time (with and without the `WebAssembly.promising` fix), a worker's start, and
// the main event loop's ticks under load. All figures from one run; prints Markdown.
//
//   npm run build && node bench/overhead.mjs [--rounds 5] [--calls 200]
//
// The canned upstream is a child process (node:http) answering every POST with the spec's
// recorded Converse answer (fixtures/converse/text.json), so its CPU is not the host's. The
// baselines are node:http with a keep-alive agent (what the host uses inside) and fetch.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { openProvider } from '../dist/esm/index.js';
import { wasiImports } from '../dist/esm/wasi.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('--rounds', 5);
const CALLS = arg('--calls', 200);

const answer = readFileSync(join(repo, 'fixtures', 'converse', 'text.json'));

// ---- the canned upstream, in its own process ----
const upstreamSource = `
const http = require('node:http');
const body = Buffer.from(process.env.ANSWER, 'base64');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'x-amzn-requestid': 'bench' });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const upstream = spawn(process.execPath, ['-e', upstreamSource], {
  env: { ANSWER: answer.toString('base64') },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((r) => upstream.stdout.once('data', (d) => r(Number(String(d).trim()))));
const url = `http://127.0.0.1:${port}`;

const settings = {
  region: 'us-east-1',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  baseUrl: url,
  languageModel: 'amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  maxAttempts: 1,
};
const request = {
  messages: [{ role: 'user', content: [{ tag: 'text', val: 'How many r are in strawberry?' }] }],
  settings: { stopSequences: [] },
  tools: [],
};
const requestBody = JSON.stringify({
  messages: [{ role: 'user', content: [{ text: 'How many r are in strawberry?' }] }],
});

// ---- the cases ----
const agent = new http.Agent({ keepAlive: true });
function nodeHttp() {
  return new Promise((resolveCall, reject) => {
    const req = http.request(`${url}/model/x/converse`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(requestBody) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolveCall();
      });
    });
    req.on('error', reject);
    req.end(requestBody);
  });
}
async function plainFetch() {
  const res = await fetch(`${url}/model/x/converse`, { method: 'POST', body: requestBody, headers: { 'content-type': 'application/json' } });
  await res.json();
}
const provider = openProvider(settings, { maxWorkers: 16 });
const apiKeyProvider = openProvider({ ...settings, accessKeyId: undefined, secretAccessKey: undefined, apiKey: 'ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl' }, { host: provider.host });
async function hostGenerate() {
  const r = await provider.generate(request);
  if (!r.text.includes('strawberry')) throw new Error(`unexpected answer ${r.text}`);
}
async function hostGenerateApiKey() {
  await apiKeyProvider.generate(request);
}

const cases = [
  ['node:http, keep-alive agent (baseline)', nodeHttp],
  ['fetch (undici)', plainFetch],
  ['Node host: generate, SigV4', hostGenerate],
  ['Node host: generate, API key (no signing)', hostGenerateApiKey],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function sequential(fn, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) * 1000);
  }
  return times;
}

// Warm up every case (workers started, connections pooled, code tiered up).
for (const [, fn] of cases) await sequential(fn, 100);

const loadStart = loadavg()[0];
const perRound = new Map(cases.map(([name]) => [name, { p50: [], p90: [] }]));
const overhead = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = cases.map((_, i) => cases[(i + round) % cases.length]);
  const p50 = {};
  for (const [name, fn] of order) {
    const times = await sequential(fn, CALLS);
    perRound.get(name).p50.push(median(times));
    perRound.get(name).p90.push(pct(times, 0.9));
    p50[name] = median(times);
  }
  overhead.push(p50['Node host: generate, SigV4'] - p50['node:http, keep-alive agent (baseline)']);
}

// Throughput at concurrency 16, and the event loop meanwhile.
async function concurrent(fn, concurrency, ms) {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await fn();
      done += 1;
    }
  }));
  return done / (ms / 1000);
}
// 16 calls in flight through pools of 4 and 16 workers. Every worker is its own V8 isolate with
// its own JIT state: each pool is warmed up first. The main event loop's ticks are counted meanwhile.
const throughput = [];
for (const workers of [4, 16]) {
  const pool = openProvider(settings, { maxWorkers: workers });
  const call = async () => {
    await pool.generate(request);
  };
  await concurrent(call, 16, 3000);
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 10);
  const started = performance.now();
  const rps = await concurrent(call, 16, 2000);
  const expected = Math.floor((performance.now() - started) / 10);
  clearInterval(timer);
  throughput.push({ workers, rps, ticks, expected });
  await pool.close();
}
await concurrent(nodeHttp, 16, 500);
const httpRps = await concurrent(nodeHttp, 16, 2000);

// ---- instance start ----
const glue = await import(pathToFileURL(join(here, '..', 'dist', 'component', 'provider.js')).href);
const componentDir = join(here, '..', 'dist', 'component');
const modules = new Map();
for (const name of ['provider.core.wasm', 'provider.core2.wasm', 'provider.core3.wasm']) {
  modules.set(name, await WebAssembly.compile(readFileSync(join(componentDir, name))));
}
function instantiateOnce(fix) {
  const had = typeof WebAssembly.promising === 'function';
  if (fix && !had) WebAssembly.promising = (f) => f;
  const t = performance.now();
  glue.instantiate((n) => modules.get(n), wasiImports({}));
  const elapsed = performance.now() - t;
  if (fix && !had) delete WebAssembly.promising;
  return elapsed;
}
const stock = [];
const fixed = [];
for (let i = 0; i < 10; i++) {
  stock.push(instantiateOnce(false));
  fixed.push(instantiateOnce(true));
}

// ---- a worker's start: a new host, first call (spawn, glue import, instantiate) ----
const coldStarts = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const cold = openProvider(settings, { maxWorkers: 1 });
  await cold.settingsSchema();
  coldStarts.push(performance.now() - t);
  await cold.close();
}

const loadEnd = loadavg()[0];
await provider.close();
upstream.kill();

// ---- report ----
const us = (x) => `${x.toFixed(0)} µs`;
const ms = (x) => `${x.toFixed(2)} ms`;
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, load ${loadStart.toFixed(2)} -> ${loadEnd.toFixed(2)}; ${ROUNDS} rounds of ${CALLS} sequential calls per case\n`);
console.log('| case (sequential, one call in flight) | p50 (median of rounds, min-max) | p90 (median of rounds) |');
console.log('|---|---|---|');
for (const [name] of cases) {
  const r = perRound.get(name);
  console.log(`| ${name} | ${us(median(r.p50))} (${us(Math.min(...r.p50))}-${us(Math.max(...r.p50))}) | ${us(median(r.p90))} |`);
}
console.log(`| **per-call overhead: Node host p50 - node:http p50** (per round) | **${us(median(overhead))}** (${us(Math.min(...overhead))}-${us(Math.max(...overhead))}) | |`);
console.log('');
console.log('| figure | value |');
console.log('|---|---|');
for (const t of throughput) {
  console.log(`| Node host, 16 calls in flight, maxWorkers ${t.workers} | ${t.rps.toFixed(0)} calls/s; main event loop kept ${t.ticks} of ${t.expected} 10 ms ticks (${((100 * t.ticks) / t.expected).toFixed(0)}%) |`);
}
console.log(`| node:http, 16 calls in flight | ${httpRps.toFixed(0)} calls/s |`);
console.log(`| instance start (glue \`instantiate\`), stock glue on Node 20 | ${ms(median(stock))} (min ${ms(Math.min(...stock))}, max ${ms(Math.max(...stock))}) |`);
console.log(`| instance start with the host's \`WebAssembly.promising\` stand-in | ${ms(median(fixed))} (min ${ms(Math.min(...fixed))}, max ${ms(Math.max(...fixed))}) |`);
console.log(`| new host -> first answer (worker spawn, glue import, instantiate, call) | ${ms(median(coldStarts))} (min ${ms(Math.min(...coldStarts))}, max ${ms(Math.max(...coldStarts))}) |`);
