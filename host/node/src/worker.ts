// A pool worker: runs the component, one call at a time, each in a fresh instance.
//
// The core modules arrive compiled (the main thread compiles them once, with the memory
// limit written into the memory's maximum). The next call's instance is made as soon as the
// previous call ends, so a call never waits for instantiation and an instance never serves two
// calls. The environment is empty (`env: {}` on the Worker and in wasi:cli).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

import { CallContext, ComponentExit, Io, wasiImports } from './wasi.js';
import type { CallFailure, CallMessage, ResultMessage, WorkerInit } from './protocol.js';

interface ComponentError extends Error {
  payload: unknown;
}

interface ChatStreamResource {
  next(): unknown;
  nextBatch(max: number): unknown[];
}

interface ClientResource {
  [method: string]: unknown;
}

interface ProviderExports {
  settingsSchema(): string;
  Client: { open(settings: string): ClientResource };
}

interface Root {
  provider: ProviderExports;
}

type Instantiate = (
  getCoreModule: (path: string) => WebAssembly.Module,
  imports: Record<string, Record<string, unknown>>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Root;

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error('worker.js runs as a worker thread');

const glue = (await import(pathToFileURL(init.gluePath).href)) as { instantiate: Instantiate };
const modules = new Map<string, WebAssembly.Module>();
init.moduleNames.forEach((name, i) => {
  const m = init.modules[i];
  if (m !== undefined) modules.set(name, m);
});
const io = new Io(init.io, new Int32Array(init.signal));

interface Instance {
  root: Root;
  memories: WebAssembly.Memory[];
  /** An allocation was refused because it would cross the memory limit. */
  overLimit: boolean;
}

/**
 * Instantiates the component. On Node 20 jco's glue probes `WebAssembly.promising` in a
 * try/catch for every export, which costs 60-100 ms per instance when it is missing; an
 * identity stand-in for the duration of the call gives the glue what its catch branch would
 * (the synchronous function) in well under a millisecond.
 */
function instantiate(): Instance {
  const memories: WebAssembly.Memory[] = [];
  const state = { overLimit: false };
  const wa = WebAssembly as unknown as { promising?: unknown };
  const shim = typeof wa.promising !== 'function';
  if (shim) wa.promising = (f: unknown): unknown => f;
  try {
    const root = glue.instantiate(
      (name) => {
        const m = modules.get(name);
        if (m === undefined) throw new Error(`no core module ${name}`);
        return m;
      },
      wasiImports(io),
      (module, imports) => {
        const instance = new WebAssembly.Instance(module, imports);
        let memory: WebAssembly.Memory | undefined;
        for (const value of Object.values(instance.exports)) {
          if (value instanceof WebAssembly.Memory) {
            memories.push(value);
            memory = value;
          }
        }
        const realloc = instance.exports['cabi_realloc'];
        if (memory === undefined || typeof realloc !== 'function') return instance;
        // The glue allocates in the component's memory for every string and list it lowers;
        // an allocation the limit refuses traps inside `cabi_realloc` without a word on
        // stderr, so the host notes here whether the request would have crossed the limit.
        const mem = memory;
        const wrapped = (oldPtr: number, oldSize: number, align: number, newSize: number): unknown => {
          try {
            return (realloc as (...a: number[]) => unknown)(oldPtr, oldSize, align, newSize);
          } catch (e) {
            if (mem.buffer.byteLength + newSize > init.memoryLimitBytes - 64 * 1024) state.overLimit = true;
            throw e;
          }
        };
        return { exports: { ...instance.exports, cabi_realloc: wrapped } } as unknown as WebAssembly.Instance;
      },
    );
    return {
      root,
      memories,
      get overLimit() {
        return state.overLimit;
      },
    };
  } finally {
    if (shim) delete wa.promising;
  }
}

let spare: Instance | undefined;

function fresh(): Instance {
  const instance = spare ?? instantiate();
  spare = undefined;
  return instance;
}

/** Prepares the next call's instance once this thread has nothing else to do. */
function prepareSpare(): void {
  setImmediate(() => {
    if (spare === undefined && current === undefined) {
      try {
        spare = instantiate();
      } catch {
        spare = undefined; // The next call instantiates (and reports) for itself.
      }
    }
  });
}

interface Current {
  id: number;
  ctx: CallContext;
  instance: Instance;
  stream: ChatStreamResource | undefined;
}

let current: Current | undefined;

function isComponentError(e: unknown): e is ComponentError {
  return e instanceof Error && Object.prototype.hasOwnProperty.call(e, 'payload');
}

/** What went wrong, in the terms the pool reports. */
function classify(e: unknown, call: Current): CallFailure {
  if (isComponentError(e)) return { type: 'provider', error: e.payload };
  if (e instanceof WebAssembly.RuntimeError || e instanceof ComponentExit) {
    const message = e.message;
    const limit = init.memoryLimitBytes;
    const atLimit = call.instance.memories.some((m) => m.buffer.byteLength + 64 * 1024 > limit);
    if (call.instance.overLimit || call.ctx.stdio.includes('memory allocation of') || (atLimit && /unreachable/.test(message))) {
      return { type: 'memory' };
    }
    if (e instanceof ComponentExit) return { type: 'crash', detail: e.message };
    return { type: 'crash', detail: `wasm trap: ${message}` };
  }
  if (e instanceof RangeError && /Maximum call stack/.test(e.message)) {
    return { type: 'crash', detail: 'wasm trap: call stack exhausted' };
  }
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { type: 'host', detail };
}

function reply(message: ResultMessage): void {
  port?.postMessage(message);
}

function end(call: Current): void {
  io.ctx = undefined;
  io.idleWork = undefined;
  current = undefined;
  void call;
  prepareSpare();
}

function run(message: CallMessage): void {
  if (message.type === 'call') {
    const ctx = new CallContext(message.policy);
    io.ctx = ctx;
    let instance: Instance;
    try {
      instance = fresh();
    } catch (e) {
      io.ctx = undefined;
      const detail = e instanceof Error ? e.message : String(e);
      reply({ type: 'result', id: message.id, ok: false, failure: { type: 'host', detail: `instantiation failed: ${detail}` } });
      return;
    }
    const call: Current = { id: message.id, ctx, instance, stream: undefined };
    current = call;
    // The next call's instance is made the first time this one waits for the network.
    io.idleWork = () => {
      if (spare === undefined) {
        try {
          spare = instantiate();
        } catch {
          spare = undefined;
        }
      }
    };
    try {
      const provider = instance.root.provider;
      if (message.op === 'settings-schema') {
        reply({ type: 'result', id: message.id, ok: true, value: provider.settingsSchema() });
        end(call);
        return;
      }
      const client = provider.Client.open(message.settings);
      const method = message.op.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const fn = client[method];
      if (typeof fn !== 'function') {
        reply({ type: 'result', id: message.id, ok: false, failure: { type: 'host', detail: `the component has no operation \`${message.op}\`` } });
        end(call);
        return;
      }
      const value: unknown = fn.apply(client, message.args);
      if (message.op === 'stream') {
        call.stream = value as ChatStreamResource;
        reply({ type: 'result', id: message.id, ok: true, value: undefined, streaming: true });
        return; // The instance lives on until the stream ends.
      }
      reply({ type: 'result', id: message.id, ok: true, value });
      end(call);
    } catch (e) {
      reply({ type: 'result', id: message.id, ok: false, failure: classify(e, call), denied: ctx.denied });
      end(call);
    }
    return;
  }
  const call = current;
  if (call === undefined || call.id !== message.id || call.stream === undefined) {
    if (message.type === 'next') {
      reply({ type: 'result', id: message.id, ok: true, value: [], done: true });
    }
    return;
  }
  if (message.type === 'close') {
    end(call);
    return;
  }
  try {
    const parts = call.stream.nextBatch(message.max);
    const done = parts.length === 0;
    reply({ type: 'result', id: message.id, ok: true, value: parts, done });
    if (done) end(call);
  } catch (e) {
    reply({ type: 'result', id: message.id, ok: false, failure: classify(e, call), denied: call.ctx.denied });
    end(call);
  }
}

port.on('message', (message: CallMessage) => run(message));
spare = instantiate();
reply({ type: 'ready' });
