// The host: a pool of worker threads that run the component, and the main-thread side of their
// outbound HTTP. Every call gets a fresh instance in a worker, a deadline enforced by terminating
// the worker, a memory limit, the manifest's outbound policy and the response body cap.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  ProviderError, closedError, crashError, hostFailure, memoryError, overloadedError, timeoutError,
} from './errors.js';
import { packageRoot } from './locate.js';
import { Outbound } from './outbound.js';
import { buildPolicy, checkManifest, settingAt, type Manifest, type OperatorRules, type Policy } from './policy.js';
import type { CallFailure, CallMessage, MainIoMessage, ResultMessage, WorkerInit, WorkerIoMessage } from './protocol.js';
import { plain } from './types.js';
import { limitMemory } from './wasm.js';

const MIB = 1024 * 1024;

/** What the operator controls; every field has a default. */
export interface HostOptions {
  /** Worker threads running calls at once (each holds one instance while it runs). Default 16. */
  maxWorkers?: number;
  /** Calls waiting for a worker before new ones are refused (`service-unavailable`). Default 1000. */
  maxQueued?: number;
  /** The hard deadline of one call, a whole stream included. Default 300 000 ms; settings' `timeouts.totalMs` can only shorten it. */
  callTimeoutMs?: number;
  /** Linear memory of one instance. Default 64 MiB. */
  memoryLimitBytes?: number;
  /** Largest response body accepted from upstream. Default 32 MiB. */
  maxResponseBytes?: number;
  /** An idle worker is stopped after this long. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** The operator's outbound rules: `allowBaseUrls` (default true) and `extraOrigins`. */
  rules?: OperatorRules;
  /** A manifest to use instead of the one shipped beside the component. */
  manifest?: Manifest;
  /** Trusted CA certificates for https upstreams (default: Node's store). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Told why a request was refused by the outbound policy (for the operator's log). */
  onDenied?: (reason: string) => void;
}

interface Compiled {
  modules: WebAssembly.Module[];
  names: string[];
}

export interface Job {
  id: number;
  op: string;
  settings: string;
  args: unknown[];
  policy: Policy;
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  slot: Slot | undefined;
  /** Settles the current step: the call, the stream's opening, or one `next`. */
  waiter: { resolve(value: unknown): void; reject(error: unknown): void } | undefined;
  streaming: boolean;
  /** A terminal failure (deadline, worker death) for the steps still to come. */
  failed: ProviderError | undefined;
  finished: boolean;
}

interface Slot {
  worker: Worker;
  io: MessagePort;
  signal: Int32Array;
  job: Job | undefined;
  open: Map<number, { abort(): void }>;
  idle: NodeJS.Timeout | undefined;
  dead: boolean;
  oom: boolean;
}

export class Host {
  readonly manifest: Manifest;
  private readonly options: Required<Omit<HostOptions, 'manifest' | 'ca' | 'onDenied' | 'rules'>> & HostOptions;
  private readonly compiled: Promise<Compiled>;
  private readonly outbound: Outbound;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  /** Workers being started (counted against `maxWorkers` before they exist). */
  private spawning = 0;

  constructor(options: HostOptions = {}) {
    this.options = {
      maxWorkers: 16,
      maxQueued: 1000,
      callTimeoutMs: 300_000,
      memoryLimitBytes: 64 * MIB,
      maxResponseBytes: 32 * MIB,
      idleTimeoutMs: 30_000,
      ...options,
    };
    this.manifest = options.manifest ?? checkManifest(JSON.parse(readFileSync(join(componentDir(), 'manifest.json'), 'utf8')));
    this.outbound = new Outbound({
      maxResponseBytes: this.options.maxResponseBytes,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    this.compiled = compile(this.options.memoryLimitBytes);
    // An unhandled rejection here would crash the process before any call could report it.
    this.compiled.catch(() => undefined);
  }

  /** The outbound policy a call with these settings gets (manifest + operator rules). */
  policyFor(settings: unknown): Policy {
    return buildPolicy(this.manifest, settings, this.options.rules ?? {});
  }

  /** Runs one operation to its end in a fresh instance. */
  call(op: string, settings: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const job = this.job(op, settings, args, false);
      job.waiter = { resolve, reject };
      if (this.watch(job, signal)) this.submit(job);
    });
  }

  /** Opens a stream: resolves once the component returned its `chat-stream` (the response head arrived). */
  openStream(settings: string, args: unknown[], signal?: AbortSignal): Promise<StreamSession> {
    return new Promise((resolve, reject) => {
      const job = this.job('stream', settings, args, true);
      job.waiter = {
        resolve: () => resolve(new StreamSession(this, job)),
        reject,
      };
      if (this.watch(job, signal)) this.submit(job);
    });
  }

  /** Ties a job to an AbortSignal; false when it is already aborted. */
  private watch(job: Job, signal: AbortSignal | undefined): boolean {
    if (signal === undefined) return true;
    const abort = (): void => {
      if (job.finished) return;
      const reason: unknown = signal.reason;
      const error = reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
      const queued = this.queue.indexOf(job);
      if (queued >= 0) this.queue.splice(queued, 1);
      const slot = job.slot;
      job.finished = true;
      job.failed = error as ProviderError;
      clearTimeout(job.timer);
      const waiter = job.waiter;
      job.waiter = undefined;
      waiter?.reject(error);
      if (slot && slot.job === job) {
        if (job.streaming) {
          slot.worker.postMessage({ type: 'close', id: job.id } satisfies CallMessage);
          this.release(slot);
        } else {
          void this.kill(slot);
        }
      }
    };
    if (signal.aborted) {
      abort();
      return false;
    }
    signal.addEventListener('abort', abort, { once: true });
    return true;
  }

  /** Stops every worker and closes pooled connections; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.fail(job, closedError());
    const exits: Array<Promise<number>> = [];
    for (const slot of [...this.slots]) {
      if (slot.job) this.fail(slot.job, closedError());
      exits.push(this.kill(slot));
    }
    this.outbound.close();
    await Promise.all(exits);
  }

  /** Workers currently alive (for tests and metrics). */
  get workerCount(): number {
    return this.slots.size;
  }

  // ---- internals ----

  private job(op: string, settings: string, args: unknown[], streaming: boolean): Job {
    let parsed: unknown;
    try {
      parsed = JSON.parse(settings);
    } catch {
      parsed = undefined; // The component reports invalid-settings; the policy allows nothing.
    }
    const total = settingAt(parsed, 'timeouts.totalMs');
    const limit = this.options.callTimeoutMs;
    const timeoutMs = typeof total === 'number' && Number.isInteger(total) && total > 0 ? Math.min(limit, total) : limit;
    return {
      id: ++this.nextId,
      op,
      settings,
      args,
      policy: this.policyFor(parsed),
      timeoutMs,
      timer: undefined,
      slot: undefined,
      waiter: undefined,
      streaming,
      failed: undefined,
      finished: false,
    };
  }

  private submit(job: Job): void {
    if (this.closed) {
      this.fail(job, closedError());
      return;
    }
    job.timer = setTimeout(() => this.deadline(job), job.timeoutMs);
    const idle = [...this.slots].find((s) => s.job === undefined && !s.dead);
    if (idle) {
      this.dispatch(idle, job);
      return;
    }
    if (this.slots.size + this.spawning < this.options.maxWorkers) {
      this.spawn()
        .then((slot) => {
          if (job.finished) {
            this.release(slot);
          } else {
            this.dispatch(slot, job);
          }
        })
        .catch((e: unknown) => this.fail(job, hostFailure(e instanceof Error ? e.message : String(e))));
      return;
    }
    if (this.queue.length >= this.options.maxQueued) {
      this.fail(job, overloadedError());
      return;
    }
    this.queue.push(job);
  }

  private dispatch(slot: Slot, job: Job): void {
    clearTimeout(slot.idle);
    slot.idle = undefined;
    slot.job = job;
    job.slot = slot;
    slot.worker.ref();
    slot.io.ref();
    const message: CallMessage = { type: 'call', id: job.id, op: job.op, settings: job.settings, args: job.args, policy: job.policy };
    slot.worker.postMessage(message);
  }

  /** The slot is free again: abort what its call left open, then take the next queued job. */
  private release(slot: Slot): void {
    for (const exchange of slot.open.values()) exchange.abort();
    slot.open.clear();
    slot.job = undefined;
    if (slot.dead) return;
    const next = this.queue.shift();
    if (next) {
      this.dispatch(slot, next);
      return;
    }
    slot.worker.unref();
    slot.io.unref();
    slot.idle = setTimeout(() => {
      if (slot.job === undefined) void this.kill(slot);
    }, this.options.idleTimeoutMs);
    slot.idle.unref();
  }

  private settle(job: Job, value: unknown): void {
    const waiter = job.waiter;
    job.waiter = undefined;
    waiter?.resolve(value);
  }

  /** Ends a job with an error: its current step rejects, and so does every later one. */
  private fail(job: Job, error: ProviderError): void {
    if (job.finished) return;
    job.finished = true;
    job.failed = error;
    clearTimeout(job.timer);
    const waiter = job.waiter;
    job.waiter = undefined;
    waiter?.reject(error);
  }

  private finish(job: Job): void {
    job.finished = true;
    clearTimeout(job.timer);
  }

  private deadline(job: Job): void {
    if (job.finished) return;
    const error = timeoutError(job.timeoutMs);
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    const slot = job.slot;
    this.fail(job, error);
    if (slot && slot.job === job) {
      // The component may be blocked in wasm or in I/O: only terminating the thread stops it.
      void this.kill(slot);
    }
  }

  private kill(slot: Slot): Promise<number> {
    slot.dead = true;
    clearTimeout(slot.idle);
    for (const exchange of slot.open.values()) exchange.abort();
    slot.open.clear();
    this.slots.delete(slot);
    slot.io.close();
    const exited = slot.worker.terminate();
    // A job queued behind a dying worker gets another one.
    const next = this.queue.shift();
    if (next) this.submitQueued(next);
    return exited;
  }

  private submitQueued(job: Job): void {
    this.spawn()
      .then((slot) => (job.finished ? this.release(slot) : this.dispatch(slot, job)))
      .catch((e: unknown) => this.fail(job, hostFailure(e instanceof Error ? e.message : String(e))));
  }

  private async spawn(): Promise<Slot> {
    this.spawning += 1;
    let compiled: Compiled;
    try {
      compiled = await this.compiled;
    } finally {
      this.spawning -= 1;
    }
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const init: WorkerInit = {
      modules: compiled.modules,
      moduleNames: compiled.names,
      gluePath: join(componentDir(), 'provider.js'),
      io: port2,
      signal,
      memoryLimitBytes: this.options.memoryLimitBytes,
    };
    const heapMb = Math.max(64, Math.ceil((2 * this.options.memoryLimitBytes) / MIB) + 32);
    const worker = new Worker(join(packageRoot, 'dist', 'esm', 'worker.js'), {
      workerData: init,
      transferList: [port2],
      env: {},
      argv: [],
      execArgv: [],
      name: 'bedrock-provider',
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    const slot: Slot = {
      worker,
      io: port1,
      signal: new Int32Array(signal),
      job: undefined,
      open: new Map(),
      idle: undefined,
      dead: false,
      oom: false,
    };
    this.slots.add(slot);
    port1.on('message', (m: WorkerIoMessage) => this.onIo(slot, m));
    worker.on('message', (m: ResultMessage) => this.onResult(slot, m));
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') slot.oom = true;
      this.onExit(slot, e);
    });
    worker.on('exit', () => this.onExit(slot, undefined));
    return slot;
  }

  private onExit(slot: Slot, error: (Error & { code?: string }) | undefined): void {
    const job = slot.job;
    const wasDead = slot.dead;
    slot.dead = true;
    this.slots.delete(slot);
    for (const exchange of slot.open.values()) exchange.abort();
    slot.open.clear();
    slot.job = undefined;
    if (job && !job.finished) {
      if (slot.oom) this.fail(job, memoryError(this.options.memoryLimitBytes));
      else this.fail(job, crashError(error ? `the worker stopped (${error.code ?? error.name})` : 'the worker stopped'));
    }
    if (!wasDead) {
      const next = this.queue.shift();
      if (next) this.submitQueued(next);
    }
  }

  private onIo(slot: Slot, message: WorkerIoMessage): void {
    if (message.t === 'abort') {
      slot.open.get(message.rid)?.abort();
      slot.open.delete(message.rid);
      return;
    }
    const post = (m: MainIoMessage): void => {
      if (slot.dead) return;
      if (m.t === 'end' || m.t === 'error') slot.open.delete(m.rid);
      slot.io.postMessage(m);
      Atomics.add(slot.signal, 0, 1);
      Atomics.notify(slot.signal, 0);
    };
    const job = slot.job;
    if (job === undefined) {
      post({ t: 'error', rid: message.rid, code: { tag: 'HTTP-request-denied' }, afterHead: false });
      return;
    }
    const exchange = this.outbound.send(message, job.policy, post);
    slot.open.set(message.rid, {
      // Closed by the host (stream closed, call ended): a read still blocked on it must end.
      abort: () => {
        exchange.abort();
        post({ t: 'error', rid: message.rid, code: { tag: 'connection-terminated' }, afterHead: true });
      },
    });
  }

  private onResult(slot: Slot, message: ResultMessage): void {
    if (message.type === 'ready') return;
    const job = slot.job;
    if (job === undefined || job.id !== message.id) return; // A late answer for a job that already failed.
    if (!message.ok) {
      for (const reason of message.denied ?? []) this.options.onDenied?.(reason);
      this.fail(job, this.failure(message.failure));
      this.release(slot);
      return;
    }
    if (message.streaming) {
      this.settle(job, undefined); // Open; the slot stays with the stream.
      return;
    }
    if (job.streaming) {
      if (message.done) {
        this.finish(job);
        this.release(slot);
      }
      this.settle(job, message.value);
      return;
    }
    this.finish(job);
    this.release(slot);
    this.settle(job, message.value);
  }

  private failure(failure: CallFailure): ProviderError {
    switch (failure.type) {
      case 'provider':
        return new ProviderError(plain(failure.error) as ConstructorParameters<typeof ProviderError>[0]);
      case 'memory':
        return memoryError(this.options.memoryLimitBytes);
      case 'crash':
        return crashError(failure.detail);
      case 'host':
        return hostFailure(failure.detail);
    }
  }

  // ---- stream steps (used by StreamSession) ----

  /** @internal */
  streamNext(job: Job, max: number): Promise<{ parts: unknown[]; done: boolean }> {
    if (job.failed) return Promise.reject(job.failed);
    const slot = job.slot;
    if (job.finished || slot === undefined || slot.job !== job) return Promise.resolve({ parts: [], done: true });
    return new Promise((resolve, reject) => {
      job.waiter = {
        resolve: (value) => resolve({ parts: value as unknown[], done: (value as unknown[]).length === 0 }),
        reject,
      };
      const message: CallMessage = { type: 'next', id: job.id, max };
      slot.worker.postMessage(message);
    });
  }

  /** @internal */
  streamClose(job: Job): void {
    const slot = job.slot;
    if (job.finished || slot === undefined || slot.job !== job) return;
    this.finish(job);
    this.settle(job, []);
    const message: CallMessage = { type: 'close', id: job.id };
    slot.worker.postMessage(message);
    this.release(slot);
  }
}

/** A stream held open in one worker; `next` pulls parts in batches. */
export class StreamSession {
  constructor(
    private readonly host: Host,
    private readonly job: Job,
  ) {}

  next(max: number): Promise<{ parts: unknown[]; done: boolean }> {
    return this.host.streamNext(this.job, max);
  }

  close(): void {
    this.host.streamClose(this.job);
  }
}

function componentDir(): string {
  return join(packageRoot, 'dist', 'component');
}

const compileCache = new Map<number, Promise<Compiled>>();

/** Compiles the core modules once per memory limit (the limit is part of the module). */
function compile(memoryLimitBytes: number): Promise<Compiled> {
  let cached = compileCache.get(memoryLimitBytes);
  if (cached === undefined) {
    cached = (async () => {
      const dir = componentDir();
      const names = readdirSync(dir).filter((f) => f.endsWith('.wasm')).sort();
      const modules = await Promise.all(
        names.map((name) => WebAssembly.compile(limitMemory(readFileSync(join(dir, name)), memoryLimitBytes))),
      );
      return { modules, names };
    })();
    compileCache.set(memoryLimitBytes, cached);
  }
  return cached;
}
