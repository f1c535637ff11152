// Messages between the pool (main thread) and its workers. Internal.
//
// Two channels per worker:
// - `parentPort` carries calls and their results (asynchronous, the worker's event loop);
// - `io` (a MessagePort) carries outbound HTTP: the worker posts `send`/`abort`, the main thread
//   posts response events and then bumps `signal[0]` and notifies it. While the component runs
//   the worker is blocked inside a wasi call: it waits on `signal` with `Atomics.wait` and pulls
//   the events with `receiveMessageOnPort`, so no event loop turn is needed on its side.
import type { MessagePort } from 'node:worker_threads';

import type { Policy } from './policy.js';

/** A wasi:http `error-code`, as jco represents it. */
export type HttpErrorCode =
  | { tag: 'DNS-timeout' }
  | { tag: 'DNS-error'; val: { rcode?: string; infoCode?: number } }
  | { tag: 'destination-not-found' }
  | { tag: 'destination-unavailable' }
  | { tag: 'destination-IP-prohibited' }
  | { tag: 'destination-IP-unroutable' }
  | { tag: 'connection-refused' }
  | { tag: 'connection-terminated' }
  | { tag: 'connection-timeout' }
  | { tag: 'connection-read-timeout' }
  | { tag: 'connection-write-timeout' }
  | { tag: 'connection-limit-reached' }
  | { tag: 'TLS-protocol-error' }
  | { tag: 'TLS-certificate-error' }
  | { tag: 'TLS-alert-received'; val: { alertId?: number; alertMessage?: string } }
  | { tag: 'HTTP-request-denied' }
  | { tag: 'HTTP-request-URI-invalid' }
  | { tag: 'HTTP-response-incomplete' }
  | { tag: 'HTTP-response-body-size'; val: bigint | undefined }
  | { tag: 'HTTP-response-timeout' }
  | { tag: 'HTTP-protocol-error' }
  | { tag: 'internal-error'; val: string | undefined };

/** Per-request timeouts from the guest's request-options, in milliseconds. */
export interface RequestTimeouts {
  connectMs: number | undefined;
  firstByteMs: number | undefined;
  betweenBytesMs: number | undefined;
}

// ---- worker -> main, on the io port ----

export interface SendMessage {
  t: 'send';
  rid: number;
  method: string;
  scheme: 'http' | 'https';
  authority: string;
  path: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  timeouts: RequestTimeouts;
}

export interface AbortMessage {
  t: 'abort';
  rid: number;
}

export type WorkerIoMessage = SendMessage | AbortMessage;

// ---- main -> worker, on the io port ----

export type MainIoMessage =
  | { t: 'head'; rid: number; status: number; headers: Array<[string, Uint8Array]> }
  | { t: 'data'; rid: number; chunk: Uint8Array }
  | { t: 'end'; rid: number }
  | { t: 'error'; rid: number; code: HttpErrorCode; afterHead: boolean };

// ---- calls ----

/** What the pool sends for one call (or one step of a stream). */
export type CallMessage =
  | {
      type: 'call';
      id: number;
      /** `settings-schema`, or a `client` method: `generate`, `rerank`, `check`, `stream`, ... */
      op: string;
      settings: string;
      args: unknown[];
      policy: Policy;
    }
  | { type: 'next'; id: number; max: number }
  | { type: 'close'; id: number };

/** A failure classified in the worker. */
export type CallFailure =
  | { type: 'provider'; error: unknown }
  | { type: 'memory' }
  | { type: 'crash'; detail: string }
  | { type: 'host'; detail: string };

export type ResultMessage =
  | { type: 'result'; id: number; ok: true; value: unknown; streaming?: boolean; done?: boolean }
  | { type: 'result'; id: number; ok: false; failure: CallFailure; denied?: string[] }
  | { type: 'ready' };

/** What a worker starts with. */
export interface WorkerInit {
  modules: WebAssembly.Module[];
  moduleNames: string[];
  gluePath: string;
  io: MessagePort;
  signal: SharedArrayBuffer;
  memoryLimitBytes: number;
}
