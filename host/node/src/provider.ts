// The typed API: `openProvider(settings, options?)`.
import { Host, type HostOptions, type StreamSession } from './pool.js';
import { ProviderError } from './errors.js';
import {
  plain,
  type CheckReport,
  type GenerateRequest,
  type GenerateResponse,
  type JsonValue,
  type ProviderSettings,
  type RerankRequest,
  type RerankResponse,
  type StreamPart,
} from './types.js';

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call: a running one is stopped (its worker is terminated), a queued one dropped. */
  signal?: AbortSignal;
}

/** A streamed answer: iterate it for the parts, in order, as they are decoded. */
export interface ChatStream extends AsyncIterable<StreamPart> {
  /**
   * Resolves once the upstream answered (the response head arrived); rejects with the
   * `ProviderError` that prevented the stream from starting. Iterating waits for it too.
   */
  readonly ready: Promise<void>;
  /** Stops reading: the upstream request is closed and the worker freed. */
  cancel(): void;
}

/** A configured provider (cheap to open; workers start on first use). */
export interface Provider {
  /** Sends a chat request and waits for the whole answer. */
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResponse>;
  /** Sends a chat request and returns the answer as parts, as they arrive. */
  stream(request: GenerateRequest, options?: CallOptions): ChatStream;
  /** Orders documents by relevance to a query. */
  rerank(request: RerankRequest, options?: CallOptions): Promise<RerankResponse>;
  /**
   * Answers the setup checklist for every configured model (`on-demand`, `region`, `access`,
   * `lifecycle` rows, each `passed`, `failed` with its fix, `unknown` or `skipped`), then makes
   * one live call per model (the `live-call` row). A failed requirement is a row, not an error.
   */
  check(options?: CallOptions): Promise<CheckReport>;
  /** The settings' JSON Schema (labels, examples, which fields are secret). */
  settingsSchema(): Promise<{ [key: string]: JsonValue }>;
  /**
   * Any operation the component exports on its `client` resource, by its WIT name: for
   * operations added after this package was written.
   */
  invoke(operation: string, args: unknown[], options?: CallOptions): Promise<unknown>;
  /** The host that runs the calls (shared when passed in `options.host`). */
  readonly host: Host;
  /** Stops the host's workers and connections (only when this provider created the host). */
  close(): Promise<void>;
}

export interface OpenOptions extends HostOptions {
  /** Runs calls on an existing host (its own options apply) instead of creating one. */
  host?: Host;
}

function settingsText(settings: ProviderSettings | string): string {
  return typeof settings === 'string' ? settings : JSON.stringify(settings);
}

/** Opens the provider with the settings a gateway's settings page stores. */
export function openProvider(settings: ProviderSettings | string, options: OpenOptions = {}): Provider {
  const owned = options.host === undefined;
  const host = options.host ?? new Host(options);
  const text = settingsText(settings);
  const run = (op: string, args: unknown[], callOptions?: CallOptions): Promise<unknown> =>
    host.call(op, text, args, callOptions?.signal);
  return {
    host,
    async generate(request, callOptions) {
      return plain(await run('generate', [request], callOptions)) as GenerateResponse;
    },
    stream(request, callOptions) {
      return new Stream(host.openStream(text, [request], callOptions?.signal));
    },
    async rerank(request, callOptions) {
      return plain(await run('rerank', [request], callOptions)) as RerankResponse;
    },
    async check(callOptions) {
      return plain(await run('check', [], callOptions)) as CheckReport;
    },
    async settingsSchema() {
      return JSON.parse((await run('settings-schema', [])) as string) as { [key: string]: JsonValue };
    },
    async invoke(operation, args, callOptions) {
      return plain(await run(operation, args, callOptions));
    },
    async close() {
      if (owned) await host.close();
    },
  };
}

/** Pulls parts in batches that grow as the stream flows: 1, 1, 2, 4, ... 64 (as the Rust host). */
class Stream implements ChatStream {
  readonly ready: Promise<void>;
  private cancelled = false;
  private session: StreamSession | undefined;

  constructor(private readonly opening: Promise<StreamSession>) {
    this.ready = opening.then((session) => {
      this.session = session;
      if (this.cancelled) session.close();
    });
    // Iterating reports the failure; an unobserved `ready` must not crash the process.
    this.ready.catch(() => undefined);
  }

  cancel(): void {
    this.cancelled = true;
    this.session?.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamPart, void, undefined> {
    const session = await this.opening;
    let batch = 1;
    let pulls = 0;
    let clean = false;
    try {
      while (!this.cancelled) {
        const { parts, done } = await session.next(batch);
        if (done) {
          clean = true;
          return;
        }
        pulls += 1;
        if (pulls >= 2) batch = Math.min(64, batch * 2);
        for (const part of parts) yield plain(part) as StreamPart;
      }
    } finally {
      if (!clean) session.close();
    }
  }
}

export { ProviderError };
