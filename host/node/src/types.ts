// The public data types, derived from the WIT (`wit/provider.wit`) as jco generates them at
// build time (src/generated/), so a new field or operation in the contract shows up here without
// hand-written copies. Two adjustments for JavaScript callers:
// - `u64` values (token counts, latencies, retry delays) are plain numbers, not bigints;
// - variants keep jco's `{ tag, val }` shape.
import type * as Wit from './generated/ai-gateway-provider-types.js';

/** Maps jco's representation to the one this package hands out: bigint becomes number. */
export type Plain<T> = T extends bigint
  ? number
  : T extends Uint8Array
    ? Uint8Array
    : T extends Array<infer U>
      ? Array<Plain<U>>
      : T extends object
        ? { [K in keyof T]: Plain<T[K]> }
        : T;

export type ErrorKind = Wit.ErrorKind;
export type ProviderErrorRecord = Plain<Wit.ProviderError>;
export type Role = Wit.Role;
export type ContentPart = Plain<Wit.ContentPart>;
export type Message = Plain<Wit.Message>;
export type InferenceSettings = Plain<Wit.InferenceSettings>;
export type ToolDefinition = Plain<Wit.ToolDefinition>;
export type ToolChoice = Plain<Wit.ToolChoice>;
export type ToolCall = Plain<Wit.ToolCall>;
export type ToolResult = Plain<Wit.ToolResult>;
export type Guardrail = Plain<Wit.Guardrail>;
export type GenerateRequest = Plain<Wit.GenerateRequest>;
export type GenerateResponse = Plain<Wit.GenerateResponse>;
export type FinishReason = Wit.FinishReason;
export type Usage = Plain<Wit.Usage>;
export type Warning = Plain<Wit.Warning>;
export type ResponseMetadata = Plain<Wit.ResponseMetadata>;
export type StreamPart = Plain<Wit.StreamPart>;
export type RerankDocument = Plain<Wit.RerankDocument>;
export type RerankRequest = Plain<Wit.RerankRequest>;
export type RerankResponse = Plain<Wit.RerankResponse>;
export type RerankResult = Plain<Wit.RerankResult>;
export type CheckReport = Plain<Wit.CheckReport>;
export type ModelCheck = Plain<Wit.ModelCheck>;
export type CheckRow = Plain<Wit.CheckRow>;
export type CheckStatus = Wit.CheckStatus;

/** A JSON value, as settings and schemas are. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The provider settings: the JSON object a gateway's settings page stores (see README). */
export type ProviderSettings = { [key: string]: JsonValue };

/** Converts what a worker sent back (jco's bigints) to the public shape. */
export function plain<T>(value: T): Plain<T> {
  return toPlain(value) as Plain<T>;
}

function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
  return out;
}
