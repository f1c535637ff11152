// The component's WASI 0.2 imports, as this host supplies them (no preview2-shim):
// - wasi:cli: an empty environment, no arguments, no cwd, stdin at end, stdout/stderr captured
//   into a small buffer that never leaves the worker (it only tells a memory trap apart);
// - wasi:clocks, wasi:random/insecure-seed;
// - wasi:io (error, poll, streams) and wasi:http (types, outgoing-handler): synchronous, as the
//   component calls them; outbound requests go through the manifest policy here, then to the
//   main thread, which sends them and streams the response back (src/outbound.ts).
//
// Every failure reaches the component as a wasi:http error code or a stream error, never as a
// JavaScript exception: jco's glue turns an unexpected exception into a trap (or, for
// `http-error-code`, into "invalid variant tag value").
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { getRandomValues } from 'node:crypto';

import { decide, type Policy } from './policy.js';
import type { HttpErrorCode, MainIoMessage, RequestTimeouts, WorkerIoMessage } from './protocol.js';

const dispose: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** The state of one call: its policy, its requests, what the component wrote to stdio. */
export class CallContext {
  readonly requests = new Map<number, Exchange>();
  /** Deny reasons, for the host's diagnostics. */
  readonly denied: string[] = [];
  /** stdout and stderr, capped: only inspected to recognise an allocation failure. */
  stdio = '';

  constructor(readonly policy: Policy) {}
}

/** Everything the main thread said about one request. */
class Exchange {
  head: { status: number; headers: Array<[string, Uint8Array]> } | undefined;
  error: HttpErrorCode | undefined;
  errorAfterHead = false;
  chunks: Uint8Array[] = [];
  ended = false;
  sent = false;
  taken = false;
  finished = false;

  constructor(readonly rid: number) {}

  /** The response future is resolved. */
  get settled(): boolean {
    return this.head !== undefined || (this.error !== undefined && !this.errorAfterHead);
  }

  /** A body read would not block. */
  get readable(): boolean {
    return this.chunks.length > 0 || this.ended || this.error !== undefined;
  }
}

const STDIO_CAP = 16 * 1024;

/** The worker's side of the I/O channel. */
export class Io {
  private nextRid = 0;
  ctx: CallContext | undefined;

  constructor(
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
  ) {}

  post(message: WorkerIoMessage, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(message, transfer);
  }

  newExchange(ctx: CallContext): Exchange {
    const ex = new Exchange(++this.nextRid);
    ctx.requests.set(ex.rid, ex);
    return ex;
  }

  /** Applies every event the main thread has posted so far. */
  private pump(): void {
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (received === undefined) return;
      const m = received.message as MainIoMessage;
      const ex = this.ctx?.requests.get(m.rid);
      if (ex === undefined) continue; // A request of an earlier call: ignore its late events.
      switch (m.t) {
        case 'head':
          ex.head = { status: m.status, headers: m.headers };
          break;
        case 'data':
          ex.chunks.push(m.chunk);
          break;
        case 'end':
          ex.ended = true;
          break;
        case 'error':
          ex.error = m.code;
          ex.errorAfterHead = m.afterHead;
          break;
      }
    }
  }

  /**
   * Work to do the first time the thread would block (the worker makes the next call's instance
   * there, while the network works).
   */
  idleWork: (() => void) | undefined;

  /** Blocks the thread until `ready()` or the monotonic `deadlineNs`, applying events meanwhile. */
  waitUntil(ready: () => boolean, deadlineNs?: bigint): void {
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      this.pump();
      if (ready()) return;
      const work = this.idleWork;
      if (work !== undefined) {
        this.idleWork = undefined;
        work();
        continue;
      }
      let timeoutMs: number | undefined;
      if (deadlineNs !== undefined) {
        const left = deadlineNs - process.hrtime.bigint();
        if (left <= 0n) return;
        timeoutMs = Number(left) / 1e6;
      }
      Atomics.wait(this.signal, 0, seen, timeoutMs);
    }
  }

  /** Drains events without waiting. */
  poll(): void {
    this.pump();
  }
}

const built = new WeakMap<object, Record<string, Record<string, unknown>>>();

/**
 * The import object for the instances of one worker. It is built once per `Io` and shared by
 * every instance (each call's state is `io.ctx`): classes made anew per instance would give
 * every instance's objects new hidden classes, and jco's glue and this code would never run warm.
 */
export function wasiImports(io: Io): Record<string, Record<string, unknown>> {
  let imports = built.get(io);
  if (imports === undefined) {
    imports = buildImports(io);
    built.set(io, imports);
  }
  return imports;
}

function buildImports(io: Io): Record<string, Record<string, unknown>> {
  const ctx = (): CallContext => {
    if (io.ctx === undefined) throw new Error('no call in progress');
    return io.ctx;
  };

  class Pollable {
    constructor(
      private readonly isReady: () => boolean,
      private readonly deadlineNs?: bigint,
    ) {}

    ready(): boolean {
      io.poll();
      return this.isReady();
    }

    block(): void {
      io.waitUntil(this.isReady, this.deadlineNs);
    }
  }

  const always = (): boolean => true;

  class IoError {
    constructor(readonly code: HttpErrorCode | undefined, private readonly text: string) {}

    toDebugString(): string {
      return this.text;
    }
  }

  const closed = { tag: 'err', val: { tag: 'closed' } } as const;

  class InputStream {
    constructor(
      private readonly pull: (len: number) => Uint8Array | typeof closed | { tag: 'err'; val: unknown },
      private readonly onDrop?: () => void,
    ) {}

    blockingRead(len: bigint): unknown {
      return this.pull(Number(len > 0x7fffffffn ? 0x7fffffffn : len));
    }

    read(len: bigint): unknown {
      return this.blockingRead(len);
    }

    subscribe(): Pollable {
      return new Pollable(always);
    }

    [dispose](): void {
      this.onDrop?.();
    }
  }

  class OutputStream {
    constructor(private readonly sink: (bytes: Uint8Array) => void) {}

    checkWrite(): bigint {
      return 65536n;
    }

    write(contents: Uint8Array): void {
      this.sink(contents);
    }

    blockingWriteAndFlush(contents: Uint8Array): void {
      this.sink(contents);
    }

    flush(): void {}

    blockingFlush(): void {}

    subscribe(): Pollable {
      return new Pollable(always);
    }
  }

  const stdio = (): OutputStream =>
    new OutputStream((bytes) => {
      const c = ctx();
      if (c.stdio.length < STDIO_CAP) {
        c.stdio += Buffer.from(bytes).toString('utf8').slice(0, STDIO_CAP - c.stdio.length);
      }
    });

  // ---- wasi:http/types ----

  const FORBIDDEN = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te']);
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  class Fields {
    private readonly list: Array<[string, Uint8Array]> = [];
    private immutable = false;

    static fromList(entries: Array<[string, Uint8Array]>): Fields {
      const f = new Fields();
      for (const [n, v] of entries) f.append(n, v);
      return f;
    }

    static frozen(entries: Array<[string, Uint8Array]>): Fields {
      const f = new Fields();
      f.list.push(...entries);
      f.immutable = true;
      return f;
    }

    private check(name: string, value?: Uint8Array): { tag: 'err'; val: { tag: string } } | undefined {
      if (this.immutable) return { tag: 'err', val: { tag: 'immutable' } };
      if (!TOKEN.test(name)) return { tag: 'err', val: { tag: 'invalid-syntax' } };
      if (FORBIDDEN.has(name.toLowerCase())) return { tag: 'err', val: { tag: 'forbidden' } };
      if (value !== undefined && value.some((b) => b === 0 || b === 10 || b === 13)) {
        return { tag: 'err', val: { tag: 'invalid-syntax' } };
      }
      return undefined;
    }

    append(name: string, value: Uint8Array): unknown {
      const bad = this.check(name, value);
      if (bad) return bad;
      this.list.push([name, Uint8Array.from(value)]);
      return undefined;
    }

    set(name: string, values: Uint8Array[]): unknown {
      const bad = this.check(name);
      if (bad) return bad;
      this.delete(name);
      for (const v of values) {
        const err = this.append(name, v);
        if (err) return err;
      }
      return undefined;
    }

    delete(name: string): unknown {
      if (this.immutable) return { tag: 'err', val: { tag: 'immutable' } };
      const lower = name.toLowerCase();
      for (let i = this.list.length - 1; i >= 0; i--) {
        if (this.list[i]?.[0].toLowerCase() === lower) this.list.splice(i, 1);
      }
      return undefined;
    }

    get(name: string): Uint8Array[] {
      const lower = name.toLowerCase();
      return this.list.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
    }

    has(name: string): boolean {
      return this.get(name).length > 0;
    }

    entries(): Array<[string, Uint8Array]> {
      return this.list.map(([n, v]) => [n, v]);
    }

    clone(): Fields {
      return Fields.fromList(this.entries());
    }

    get pairs(): Array<[string, Uint8Array]> {
      return this.list;
    }
  }

  class RequestOptions {
    connectNs: bigint | undefined;
    firstByteNs: bigint | undefined;
    betweenBytesNs: bigint | undefined;

    connectTimeout(): bigint | undefined {
      return this.connectNs;
    }

    setConnectTimeout(d: bigint | undefined): void {
      this.connectNs = d;
    }

    firstByteTimeout(): bigint | undefined {
      return this.firstByteNs;
    }

    setFirstByteTimeout(d: bigint | undefined): void {
      this.firstByteNs = d;
    }

    betweenBytesTimeout(): bigint | undefined {
      return this.betweenBytesNs;
    }

    setBetweenBytesTimeout(d: bigint | undefined): void {
      this.betweenBytesNs = d;
    }
  }

  class OutgoingBody {
    readonly chunks: Uint8Array[] = [];
    finished = false;
    onFinish: (() => void) | undefined;
    private taken = false;

    write(): unknown {
      if (this.taken) return { tag: 'err', val: undefined };
      this.taken = true;
      return new OutputStream((bytes) => {
        if (!this.finished) this.chunks.push(Uint8Array.from(bytes));
      });
    }

    static finish(body: OutgoingBody, _trailers: Fields | undefined): unknown {
      body.finished = true;
      body.onFinish?.();
      return undefined;
    }
  }

  class OutgoingRequest {
    method: { tag: string; val?: string } = { tag: 'get' };
    scheme: { tag: string; val?: string } | undefined;
    authority: string | undefined;
    pathWithQuery: string | undefined;
    readonly outgoing = new OutgoingBody();
    private bodyTaken = false;

    constructor(readonly fields: Fields) {}

    body(): unknown {
      if (this.bodyTaken) return { tag: 'err', val: undefined };
      this.bodyTaken = true;
      return this.outgoing;
    }

    headers(): Fields {
      return Fields.frozen(this.fields.entries());
    }

    setMethod(method: { tag: string; val?: string }): void {
      this.method = method;
    }

    setScheme(scheme: { tag: string; val?: string } | undefined): void {
      this.scheme = scheme;
    }

    setAuthority(authority: string | undefined): void {
      this.authority = authority;
    }

    setPathWithQuery(path: string | undefined): void {
      this.pathWithQuery = path;
    }
  }

  const abort = (ex: Exchange): void => {
    if (ex.sent && !ex.finished) io.post({ t: 'abort', rid: ex.rid });
    ex.finished = true;
  };

  class IncomingBody {
    private streamTaken = false;

    constructor(private readonly ex: Exchange) {}

    stream(): unknown {
      if (this.streamTaken) return { tag: 'err', val: undefined };
      this.streamTaken = true;
      const ex = this.ex;
      return new InputStream(
        (len) => {
          io.waitUntil(() => ex.readable);
          const chunk = ex.chunks[0];
          if (chunk !== undefined) {
            if (chunk.byteLength <= len) {
              ex.chunks.shift();
              return chunk;
            }
            ex.chunks[0] = chunk.subarray(len);
            return chunk.subarray(0, len);
          }
          if (ex.error !== undefined) {
            const code = ex.error;
            ex.finished = true;
            return { tag: 'err', val: { tag: 'last-operation-failed', val: new IoError(code, `HTTP error: ${code.tag}`) } };
          }
          ex.finished = true;
          return closed;
        },
        () => abort(ex),
      );
    }

    static finish(_body: IncomingBody): unknown {
      return new FutureTrailers();
    }

    [dispose](): void {
      abort(this.ex);
    }
  }

  class FutureTrailers {
    subscribe(): Pollable {
      return new Pollable(always);
    }

    get(): unknown {
      return { tag: 'ok', val: { tag: 'ok', val: undefined } };
    }
  }

  class IncomingResponse {
    private consumed = false;

    constructor(private readonly ex: Exchange) {}

    status(): number {
      return this.ex.head?.status ?? 0;
    }

    headers(): Fields {
      return Fields.frozen(this.ex.head?.headers ?? []);
    }

    consume(): unknown {
      if (this.consumed) return { tag: 'err', val: undefined };
      this.consumed = true;
      return new IncomingBody(this.ex);
    }
  }

  class FutureIncomingResponse {
    constructor(
      private readonly ex: Exchange | undefined,
      private readonly immediate?: HttpErrorCode,
      private readonly send?: () => void,
    ) {}

    subscribe(): Pollable {
      const ex = this.ex;
      if (ex === undefined) return new Pollable(always);
      return new Pollable(() => {
        // The component waits for the answer before finishing the body only if it streams
        // the request; send what there is so it cannot wait forever.
        if (!ex.sent) this.send?.();
        return ex.settled;
      });
    }

    get(): unknown {
      if (this.immediate !== undefined) return { tag: 'ok', val: { tag: 'err', val: this.immediate } };
      const ex = this.ex;
      if (ex === undefined) return undefined;
      io.poll();
      if (!ex.settled) return undefined;
      if (ex.taken) return { tag: 'err', val: undefined };
      ex.taken = true;
      if (ex.head !== undefined) return { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(ex) } };
      ex.finished = true;
      return { tag: 'ok', val: { tag: 'err', val: ex.error } };
    }

    [dispose](): void {
      if (this.ex !== undefined && !this.ex.taken) abort(this.ex);
    }
  }

  const ms = (ns: bigint | undefined): number | undefined =>
    ns === undefined ? undefined : Number(ns / 1_000_000n);

  function handle(request: OutgoingRequest, options: RequestOptions | undefined): unknown {
    const c = ctx();
    const scheme = request.scheme?.tag === 'HTTPS' ? 'https' : request.scheme?.tag === 'HTTP' ? 'http' : undefined;
    const authority = request.authority;
    if (scheme === undefined || authority === undefined) {
      c.denied.push('a request without an http(s) scheme or an authority');
      return { tag: 'err', val: { tag: 'HTTP-request-denied' } };
    }
    const decision = decide(c.policy, scheme, authority);
    if (!decision.allow) {
      c.denied.push(decision.reason);
      return { tag: 'err', val: { tag: 'HTTP-request-denied' } };
    }
    const method = request.method.tag === 'other' ? (request.method.val ?? 'GET') : request.method.tag.toUpperCase();
    const ex = io.newExchange(c);
    const timeouts: RequestTimeouts = {
      connectMs: ms(options?.connectNs),
      firstByteMs: ms(options?.firstByteNs),
      betweenBytesMs: ms(options?.betweenBytesNs),
    };
    const send = (): void => {
      if (ex.sent) return;
      ex.sent = true;
      const chunks = request.outgoing.chunks;
      const size = chunks.reduce((n, b) => n + b.byteLength, 0);
      const body = new Uint8Array(size);
      let at = 0;
      for (const b of chunks) {
        body.set(b, at);
        at += b.byteLength;
      }
      chunks.length = 0;
      io.post(
        {
          t: 'send',
          rid: ex.rid,
          method,
          scheme,
          authority,
          path: request.pathWithQuery ?? '/',
          headers: request.fields.pairs.map(([n, v]) => [n, Buffer.from(v).toString('latin1')]),
          body,
          timeouts,
        },
        [body.buffer as ArrayBuffer],
      );
    };
    if (request.outgoing.finished) send();
    else request.outgoing.onFinish = send;
    return new FutureIncomingResponse(ex, undefined, send);
  }

  function httpErrorCode(err: IoError): HttpErrorCode | undefined {
    return err instanceof IoError ? err.code : undefined;
  }

  // ---- clocks, random, cli ----

  const monotonicNow = (): bigint => process.hrtime.bigint();

  class TerminalInput {}
  class TerminalOutput {}

  const stdin = new InputStream(() => closed);

  const imports: Record<string, Record<string, unknown>> = {
    'wasi:cli/environment': {
      getEnvironment: (): Array<[string, string]> => [],
      getArguments: (): string[] => [],
      initialCwd: (): string | undefined => undefined,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: string }): never => {
        throw new ComponentExit(status.tag === 'ok' ? 0 : 1);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: stdio },
    'wasi:cli/stderr': { getStderr: stdio },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: monotonicNow,
      resolution: () => 1n,
      subscribeInstant: (when: bigint) => new Pollable(() => monotonicNow() >= when, when),
      subscribeDuration: (d: bigint) => {
        const when = monotonicNow() + d;
        return new Pollable(() => monotonicNow() >= when, when);
      },
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        const t = Date.now();
        return { seconds: BigInt(Math.floor(t / 1000)), nanoseconds: (t % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:random/insecure-seed': {
      insecureSeed: (): [bigint, bigint] => {
        const v = getRandomValues(new BigUint64Array(2));
        return [v[0] ?? 0n, v[1] ?? 0n];
      },
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => getRandomValues(new Uint8Array(Number(len))),
      getInsecureRandomU64: () => getRandomValues(new BigUint64Array(1))[0] ?? 0n,
    },
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => getRandomValues(new Uint8Array(Number(len))),
      getRandomU64: () => getRandomValues(new BigUint64Array(1))[0] ?? 0n,
    },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll: (list: Pollable[]): Uint32Array => {
        const ready = (): number[] => list.flatMap((p, i) => (p.ready() ? [i] : []));
        let found: number[] = [];
        io.waitUntil(() => (found = ready()).length > 0);
        return Uint32Array.from(found);
      },
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:http/types': {
      Fields,
      FutureIncomingResponse,
      FutureTrailers,
      IncomingBody,
      IncomingRequest: class IncomingRequest {},
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      OutgoingResponse: class OutgoingResponse {},
      RequestOptions,
      ResponseOutparam: class ResponseOutparam {},
      httpErrorCode,
    },
    'wasi:http/outgoing-handler': { handle },
  };
  return imports;
}

/** `wasi:cli/exit` was called: the instance is finished. */
export class ComponentExit extends Error {
  constructor(readonly status: number) {
    super(`the component called exit(${status})`);
  }
}
