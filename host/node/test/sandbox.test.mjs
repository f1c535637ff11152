// The sandbox's limits through the Node host (tests/tests/sandbox.rs, load.rs): every deadline,
// the body cap, the memory limit, the operator's rules, IPv6 loopback, the event loop staying
// free during a slow call, and many calls at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';

import { openProvider } from '../dist/esm/index.js';
import { wasiImports } from '../dist/esm/wasi.js';
import { blackHole, chat, drain, rejection, settingsFor, startEmulator, textOf } from './helpers.mjs';

const MIB = 1024 * 1024;
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

async function assertRealCallWorks(provider = open(settingsFor(emu))) {
  const answer = await provider.generate(chat('hi'));
  assert.ok(answer.text.length > 0);
}

const CONVERSE_ANSWER = JSON.stringify({
  output: { message: { role: 'assistant', content: [{ text: 'slow hello' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
  metrics: { latencyMs: 3000 },
});

/** An upstream on loopback: `handler(req, res)` answers. */
async function upstream(handler) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.closeAllConnections() || server.close() };
}

test('a server that never answers hits the total deadline (the worker is terminated)', async () => {
  const hole = await blackHole();
  try {
    const settings = settingsFor(emu, { baseUrl: `http://127.0.0.1:${hole.port}`, timeouts: { totalMs: 500 } });
    const started = performance.now();
    const e = await rejection(open(settings).generate(chat('hi')));
    const elapsed = performance.now() - started;
    assert.equal(e.kind, 'timeout', JSON.stringify(e));
    assert.equal(e.field, 'timeouts.totalMs');
    assert.equal(e.message, 'the provider component exceeded its 0.5 s time limit');
    assert.equal(e.retryable, true);
    assert.ok(elapsed >= 495 && elapsed < 3000, `${elapsed}`);
    await assertRealCallWorks();
  } finally {
    hole.close();
  }
});

test('the host call timeout is a ceiling the settings cannot raise', async () => {
  const hole = await blackHole();
  const provider = openProvider(settingsFor(emu, { baseUrl: `http://127.0.0.1:${hole.port}`, timeouts: { totalMs: 60_000 } }), { callTimeoutMs: 300, maxWorkers: 1 });
  try {
    const e = await rejection(provider.generate(chat('hi')));
    assert.equal(e.kind, 'timeout');
    assert.equal(e.message, 'the provider component exceeded its 0.3 s time limit');
  } finally {
    hole.close();
    await provider.close();
  }
});

test('a server that never answers hits the first-byte deadline on every attempt', async () => {
  const hole = await blackHole();
  try {
    const settings = settingsFor(emu, {
      baseUrl: `http://127.0.0.1:${hole.port}`, maxAttempts: 2, timeouts: { firstByteMs: 200, totalMs: 10_000 },
    });
    const started = performance.now();
    const e = await rejection(open(settings).generate(chat('hi')));
    assert.equal(e.kind, 'timeout', JSON.stringify(e));
    assert.equal(e.field, 'timeouts.firstByteMs');
    assert.match(e.message, /2 attempts/);
    assert.equal(hole.accepted, 2, 'the stuck connection is not reused');
    assert.ok(performance.now() - started < 3000);
    await assertRealCallWorks();
  } finally {
    hole.close();
  }
});

test('a TLS handshake that never completes hits the connect deadline', async () => {
  const hole = await blackHole();
  try {
    const settings = settingsFor(emu, {
      baseUrl: `https://127.0.0.1:${hole.port}`, maxAttempts: 1, timeouts: { connectMs: 200, totalMs: 10_000 },
    });
    const started = performance.now();
    const e = await rejection(open(settings).generate(chat('hi')));
    assert.equal(e.kind, 'timeout', JSON.stringify(e));
    assert.equal(e.field, 'timeouts.connectMs');
    assert.ok(performance.now() - started < 3000);
  } finally {
    hole.close();
  }
});

test('a stalled stream times out between bytes and is not retried after its first part', async () => {
  await emu.clear();
  const settings = settingsFor(emu, {
    headers: { 'x-emulator-frame-delay-ms': '1500' }, maxAttempts: 3, timeouts: { betweenBytesMs: 200 },
  });
  const { parts, error } = await drain(open(settings).stream(chat('hi')));
  assert.ok(error, 'the stalled stream ended cleanly');
  assert.ok(parts.length > 0, 'no part before the stall');
  assert.equal(error.kind, 'timeout', JSON.stringify(error));
  assert.equal(error.field, 'timeouts.betweenBytesMs');
  assert.equal((await emu.requests()).length, 1);
  await assertRealCallWorks();
});

test('a refused connection is a network error', async () => {
  const closed = await blackHole();
  const port = closed.port;
  closed.close();
  await new Promise((r) => setTimeout(r, 50));
  const e = await rejection(open(settingsFor(emu, { baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 1 })).generate(chat('hi')));
  assert.equal(e.kind, 'network', JSON.stringify(e));
});

test('a response over the body cap is an invalid response, declared or streamed', async () => {
  const size = 4 * MIB;
  const provider = openProvider({}, { maxResponseBytes: MIB, maxWorkers: 1 });
  try {
    for (const declare of [false, true]) {
      const big = await upstream((req, res) => {
        res.writeHead(200, declare ? { 'content-length': String(size) } : {});
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      });
      try {
        const settings = settingsFor(emu, { baseUrl: big.url, maxAttempts: 1 });
        const e = await rejection(openProvider(settings, { host: provider.host }).generate(chat('hi')));
        assert.equal(e.kind, 'invalid-response', JSON.stringify(e));
        assert.match(e.message, /larger than the/);
        await assertRealCallWorks(openProvider(settingsFor(emu), { host: provider.host }));
      } finally {
        big.close();
      }
    }
  } finally {
    await provider.close();
  }
});

test('a prompt larger than the memory limit is refused and the host recovers', async () => {
  await emu.clear();
  const provider = openProvider(settingsFor(emu), { memoryLimitBytes: 16 * MIB, maxWorkers: 1 });
  try {
    const e = await rejection(provider.generate(chat('x'.repeat(24 * MIB))));
    assert.equal(e.kind, 'internal', JSON.stringify(e));
    assert.equal(e.message, 'the provider component exceeded its 16 MiB memory limit');
    assert.equal(e.retryable, false);
    assert.equal((await emu.requests()).length, 0);
    await assertRealCallWorks(provider);
  } finally {
    await provider.close();
  }
});

test('an operator can refuse tenant base URLs', async () => {
  await emu.clear();
  const provider = openProvider(settingsFor(emu, { maxAttempts: 1 }), { rules: { allowBaseUrls: false }, maxWorkers: 1 });
  try {
    const e = await rejection(provider.generate(chat('hi')));
    assert.equal(e.kind, 'denied-by-host', JSON.stringify(e));
    assert.equal(e.field, 'baseUrl');
    assert.match(e.solution, /`baseUrl`/);
    assert.equal((await emu.requests()).length, 0, 'a refused request reached the emulator');
  } finally {
    await provider.close();
  }
});

test('an operator can add origins (extraOrigins)', async () => {
  // The same base URL, denied without the rule and allowed with it.
  const relay = await tcpRelay('127.0.0.2', emu.address);
  const provider = openProvider(settingsFor(emu, { baseUrl: `https://127.0.0.2:${relay.port}`, maxAttempts: 1 }), {
    rules: { allowBaseUrls: false, extraOrigins: [`https://127.0.0.2:${relay.port}`] }, maxWorkers: 1,
  });
  try {
    // Allowed by the policy, so it is sent: the emulator speaks plain HTTP, so TLS fails.
    const e = await rejection(provider.generate(chat('hi')));
    assert.notEqual(e.kind, 'denied-by-host', JSON.stringify(e));
  } finally {
    relay.close();
    await provider.close();
  }
});

/** Relays TCP from `host`:random to `target` ("host:port"). */
async function tcpRelay(host, target) {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = [];
  const server = createTcpServer((inbound) => {
    const outbound = connect(targetPort, targetHost);
    sockets.push(inbound, outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise((r) => server.listen(0, host, r));
  return { port: server.address().port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

test('http://[::1]:port base URLs work', async () => {
  await emu.clear();
  const relay = await tcpRelay('::1', emu.address);
  try {
    const answer = await open(settingsFor(emu, { baseUrl: `http://[::1]:${relay.port}` })).generate(chat('hi'));
    assert.equal(answer.finishReason, 'stop');
    const sent = (await emu.requests()).at(-1);
    assert.equal(sent.signatureValid, true);
    assert.equal(sent.headers.host, `[::1]:${relay.port}`);
  } finally {
    relay.close();
  }
});

test('the event loop stays free during a slow call (10 ms timer keeps >= 90% of its ticks)', async () => {
  const slow = await upstream((req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'slow-1' });
      res.end(CONVERSE_ANSWER);
    }, 3000);
  });
  try {
    const provider = open(settingsFor(emu, { baseUrl: slow.url, maxAttempts: 1 }));
    await assertRealCallWorks(open(settingsFor(emu))); // A warm worker: measure the call, not a start.
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 10);
    const started = performance.now();
    const answer = await provider.generate(chat('hi'));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.equal(answer.text, 'slow hello');
    const expected = Math.floor(elapsed / 10);
    console.log(`event loop: ${ticks} of ${expected} expected 10 ms ticks during a ${elapsed.toFixed(0)} ms call`);
    assert.ok(elapsed >= 3000);
    assert.ok(ticks >= 0.9 * expected, `${ticks} of ${expected} ticks`);
  } finally {
    slow.close();
  }
});

test('50 concurrent calls all end, throttled ones retried, streams whole', async () => {
  await emu.clear();
  const plain = open(settingsFor(emu));
  const throttled = open(settingsFor(emu, { maxAttempts: 2, headers: { 'x-emulator-fault': 'throttling' } }));
  const shape = (i) => (i % 3 === 0 ? 'throttled' : i % 10 === 1 ? 'stream' : 'generate');
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    switch (shape(i)) {
      case 'throttled': {
        const e = await rejection(throttled.generate(chat('hi')));
        assert.equal(e.kind, 'throttled');
        assert.match(e.message, /2 attempts/);
        return 'throttled';
      }
      case 'stream': {
        const { parts, error } = await drain(plain.stream(chat('hi')));
        assert.equal(error, undefined);
        assert.ok(parts.some((p) => p.tag === 'finish'));
        return textOf(parts);
      }
      default:
        return (await plain.generate(chat(`call ${i}`))).text;
    }
  }));
  console.log(`50 concurrent calls in ${(performance.now() - started).toFixed(0)} ms on ${host.workerCount} workers`);
  assert.equal(results.length, 50);
  const requests = await emu.requests();
  const throttledCalls = results.filter((r) => r === 'throttled').length;
  const faulted = requests.filter((r) => r.headers['x-emulator-fault'] !== undefined).length;
  assert.equal(faulted, 2 * throttledCalls);
  assert.equal(requests.length - faulted, 50 - throttledCalls);
});

test('a queue beyond maxQueued is refused as service-unavailable', async () => {
  const provider = openProvider(settingsFor(emu, { headers: { 'x-emulator-frame-delay-ms': '100' } }), { maxWorkers: 1, maxQueued: 1 });
  try {
    const running = drain(provider.stream(chat('hi')));
    const queued = provider.generate(chat('hi'));
    const refused = await rejection(provider.generate(chat('hi')));
    assert.equal(refused.kind, 'service-unavailable');
    assert.equal(refused.retryable, true);
    assert.equal((await running).error, undefined);
    assert.ok((await queued).text.length > 0);
  } finally {
    await provider.close();
  }
});

test('an aborted call stops at once and the host goes on', async () => {
  const hole = await blackHole();
  try {
    const provider = open(settingsFor(emu, { baseUrl: `http://127.0.0.1:${hole.port}` }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await rejection(provider.generate(chat('hi'), { signal: controller.signal }));
    assert.equal(e.name, 'AbortError');
    await assertRealCallWorks();
  } finally {
    hole.close();
  }
});

test('the component sees an empty environment, no arguments, no cwd', () => {
  process.env.AWS_SECRET_ACCESS_KEY = 'must-not-be-seen';
  const imports = wasiImports({});
  assert.deepEqual(imports['wasi:cli/environment'].getEnvironment(), []);
  assert.deepEqual(imports['wasi:cli/environment'].getArguments(), []);
  assert.equal(imports['wasi:cli/environment'].initialCwd(), undefined);
  delete process.env.AWS_SECRET_ACCESS_KEY;
});
