// Shared setup: the emulator binary (tests/emulator, `bedrock-emulator`) on loopback, and the
// package as built in dist/.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..', '..');

export const PROFILE_MODEL = 'amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0';
export const HI_ANSWER = 'Hello from the Bedrock emulator. You said: hi';

export function emulatorBinary() {
  if (process.env.BEDROCK_EMULATOR_BIN) return process.env.BEDROCK_EMULATOR_BIN;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, 'target');
  const bin = join(target, 'debug', 'bedrock-emulator');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm test\` (it builds it) or set BEDROCK_EMULATOR_BIN`);
  return bin;
}

/** Starts an emulator process; `args` are its command-line flags. */
export async function startEmulator(args = []) {
  const child = spawn(emulatorBinary(), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise((r) => waiting.push(r));
  const hello = await next();
  let chain = Promise.resolve();
  const command = (name) => {
    const reply = chain.then(() => {
      const p = next();
      child.stdin.write(`${name}\n`);
      return p;
    });
    chain = reply.then(() => undefined, () => undefined);
    return reply;
  };
  return {
    ...hello,
    async requests() {
      return (await command('requests')).requests;
    },
    async clear() {
      await command('clear');
    },
    async stop() {
      child.stdin.end();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

/** Merges `extra` into `base`; a null removes the key. */
export function merge(base, extra) {
  const out = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** SigV4 settings pointing at the emulator, merged with `extra`. */
export function settingsFor(emu, extra = {}) {
  return merge({
    region: 'us-east-1',
    accessKeyId: emu.demo.accessKeyId,
    secretAccessKey: emu.demo.secretAccessKey,
    baseUrl: emu.baseUrl,
    languageModel: PROFILE_MODEL,
    rerankingModel: 'amazon-bedrock|cohere.rerank-v3-5:0',
  }, extra);
}

export function faultSettings(emu, fault, extra = {}) {
  return settingsFor(emu, { maxAttempts: 1, headers: { 'x-emulator-fault': fault }, ...extra });
}

export function chat(text, model) {
  const request = {
    messages: [{ role: 'user', content: [{ tag: 'text', val: text }] }],
    settings: { stopSequences: [] },
    tools: [],
  };
  if (model !== undefined) request.model = model;
  return request;
}

export async function drain(stream) {
  const parts = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error };
  }
}

export const tags = (parts) => parts.map((p) => p.tag);
export const textOf = (parts) => parts.filter((p) => p.tag === 'text-delta').map((p) => p.val.text).join('');

export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** A TCP server on loopback that accepts and never answers; counts connections. */
export async function blackHole(host = '127.0.0.1') {
  const sockets = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise((r) => server.listen(0, host, r));
  return {
    port: server.address().port,
    get accepted() {
      return sockets.length;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Every fault name in tests/emulator/src/faults.rs, with whether it is a stream fault. */
export async function faultNames() {
  const { readFileSync } = await import('node:fs');
  const source = readFileSync(join(repo, 'tests', 'emulator', 'src', 'faults.rs'), 'utf8');
  const faults = [];
  const re = /^\s*([A-Za-z0-9]+) = "([a-z0-9-]+)", (\d+), (Some\("([A-Za-z]+)"\)|None), [BC], (?:JSON|"[a-z/]+"), (None|Some\(StreamFault::[A-Za-z]+\))/gm;
  for (const m of source.matchAll(re)) {
    faults.push({ name: m[2], status: Number(m[3]), code: m[5], stream: m[6] !== 'None' });
  }
  return faults;
}

export const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city.',
  inputSchemaJson: JSON.stringify({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
};
