// @ai-gateway/bedrock: the Amazon Bedrock provider component, sandboxed in worker threads.
export { openProvider } from './provider.js';
export type { CallOptions, ChatStream, OpenOptions, Provider } from './provider.js';
export { ProviderError } from './errors.js';
export { Host, StreamSession } from './pool.js';
export type { HostOptions } from './pool.js';
export { buildPolicy, decide, checkManifest } from './policy.js';
export type { Decision, Manifest, OperatorRules, Origin, Policy, ValueSpec } from './policy.js';
export { createBedrockProvider, toApiCallError } from './ai-sdk.js';
export type { BedrockProvider } from './ai-sdk.js';
export type * from './types.js';
