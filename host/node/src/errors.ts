import type { ErrorKind, ProviderErrorRecord } from './types.js';

/**
 * A failure, written for the operator who has to fix it: the provider's `provider-error`
 * record (or the host's own, for limits and policy) as an `Error`. Never contains a secret.
 */
export class ProviderError extends Error {
  /** The stable category; branch on this, never on the message. */
  readonly kind: ErrorKind;
  /** Why it most likely happened. */
  override readonly cause: string | undefined;
  /** What to do about it, naming the setting, console page or ID involved. */
  readonly solution: string | undefined;
  /** The upstream HTTP status, when there was one. */
  readonly status: number | undefined;
  /** The upstream error code, e.g. `ThrottlingException`. */
  readonly code: string | undefined;
  /** The upstream request ID, for support cases. */
  readonly requestId: string | undefined;
  /** Whether the same request may succeed if sent again later. */
  readonly retryable: boolean;
  /** How long to wait before retrying, when the upstream said so. */
  readonly retryAfterMs: number | undefined;
  /** The setting or request field at fault, e.g. `region` or `messages[1].content`. */
  readonly field: string | undefined;

  constructor(record: ProviderErrorRecord) {
    super(record.message);
    this.name = 'ProviderError';
    this.kind = record.kind;
    this.cause = record.cause;
    this.solution = record.solution;
    this.status = record.status;
    this.code = record.code;
    this.requestId = record.requestId;
    this.retryable = record.retryable;
    this.retryAfterMs = record.retryAfterMs;
    this.field = record.field;
  }

  /** The record, as the WIT defines it (for logging or sending on). */
  toJSON(): ProviderErrorRecord {
    const out: ProviderErrorRecord = { kind: this.kind, message: this.message, retryable: this.retryable };
    if (this.cause !== undefined) out.cause = this.cause;
    if (this.solution !== undefined) out.solution = this.solution;
    if (this.status !== undefined) out.status = this.status;
    if (this.code !== undefined) out.code = this.code;
    if (this.requestId !== undefined) out.requestId = this.requestId;
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    if (this.field !== undefined) out.field = this.field;
    return out;
  }

  static isInstance(error: unknown): error is ProviderError {
    return error instanceof ProviderError
      || (error instanceof Error && error.name === 'ProviderError' && typeof (error as { kind?: unknown }).kind === 'string');
  }
}

/** An error raised by the host rather than the component (limits, policy, the pool). */
export function hostError(
  kind: ErrorKind,
  message: string,
  cause: string,
  solution: string,
  extra: Partial<ProviderErrorRecord> = {},
): ProviderError {
  return new ProviderError({ kind, message, cause, solution, retryable: false, ...extra });
}

/** `300`, `0.05`: at most six decimals, no trailing zeros (as the Rust host prints them). */
export function decimal(value: number): string {
  return value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

export function timeoutError(limitMs: number): ProviderError {
  return hostError(
    'timeout',
    `the provider component exceeded its ${decimal(limitMs / 1000)} s time limit`,
    'The call, including every request it made, did not finish before the deadline.',
    'Retry; for long answers ask for fewer output tokens, or raise `timeouts.totalMs` '
      + '(up to the host\'s own call timeout).',
    { field: 'timeouts.totalMs', retryable: true },
  );
}

export function memoryError(limitBytes: number): ProviderError {
  return hostError(
    'internal',
    `the provider component exceeded its ${decimal(limitBytes / (1024 * 1024))} MiB memory limit`,
    'The request or its answer needed more memory than the sandbox allows; images, '
      + 'documents and long conversations count in full.',
    'Send a smaller request (fewer or smaller images and documents, a shorter '
      + 'conversation), or raise the host\'s memory limit (`memoryLimitBytes`).',
  );
}

export function crashError(detail: string): ProviderError {
  return hostError(
    'internal',
    `the provider component crashed: ${detail}`,
    'The component hit a fatal error (a trap), which is a bug in the component, '
      + 'not in the settings or the request.',
    'Retry; if it happens again, report it with the steps that lead to it.',
  );
}

export function hostFailure(detail: string): ProviderError {
  return hostError(
    'internal',
    `the provider host failed: ${detail}`,
    'The host could not run the component.',
    'Retry; if it happens again, report it with the steps that lead to it.',
  );
}

export function overloadedError(): ProviderError {
  return hostError(
    'service-unavailable',
    'the host is running and queueing as many provider calls as it allows',
    'Every worker is busy and the queue (`maxQueued`) is full.',
    'Retry shortly, or raise `maxWorkers` / `maxQueued`.',
    { retryable: true },
  );
}

export function closedError(): ProviderError {
  return hostError(
    'unsupported',
    'the provider was closed',
    '`close()` was called on this provider before the call.',
    'Open a new provider with `openProvider`.',
  );
}
