// A Vercel AI SDK 6 provider (specification v3) over the same host: `languageModel(id)` and
// `rerankingModel(id)`, usable alone or in `createProviderRegistry`.
import {
  APICallError,
  NoSuchModelError,
  type JSONObject,
  type JSONValue,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3Content,
  type LanguageModelV3FinishReason,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3Prompt,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
  type LanguageModelV3Usage,
  type ProviderV3,
  type RerankingModelV3,
  type RerankingModelV3CallOptions,
  type SharedV3ProviderMetadata,
  type SharedV3Warning,
} from '@ai-sdk/provider';

import { ProviderError } from './errors.js';
import { openProvider, type OpenOptions, type Provider } from './provider.js';
import type {
  ContentPart,
  FinishReason,
  GenerateRequest,
  GenerateResponse,
  JsonValue,
  Message,
  ProviderSettings,
  ResponseMetadata,
  ToolDefinition,
  Usage,
  Warning,
} from './types.js';

const PROVIDER = 'amazon-bedrock';

/** The AI SDK provider, plus `close()` to stop its workers. */
export interface BedrockProvider extends ProviderV3 {
  languageModel(modelId: string): LanguageModelV3;
  rerankingModel(modelId: string): RerankingModelV3;
  /** The underlying typed provider. */
  readonly provider: Provider;
  close(): Promise<void>;
}

/** `createBedrockProvider(settings)`: the settings a gateway's settings page stores. */
export function createBedrockProvider(settings: ProviderSettings, options: OpenOptions = {}): BedrockProvider {
  const base = openProvider(settings, options);
  // Per-call headers (the AI SDK's `headers` option) join the settings' custom headers.
  const forCall = (headers: Record<string, string | undefined> | undefined): Provider => {
    const extra = Object.entries(headers ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (extra.length === 0) return base;
    const current = settings['headers'];
    const merged: { [key: string]: JsonValue } =
      current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...current } : {};
    for (const [k, v] of extra) merged[k] = v;
    return openProvider({ ...settings, headers: merged }, { host: base.host });
  };
  const noSuch = (modelId: string, modelType: 'embeddingModel' | 'imageModel'): never => {
    throw new NoSuchModelError({ modelId, modelType });
  };
  return {
    specificationVersion: 'v3',
    provider: base,
    languageModel: (modelId) => new BedrockLanguageModel(modelId, forCall),
    rerankingModel: (modelId) => new BedrockRerankingModel(modelId, forCall),
    embeddingModel: (modelId) => noSuch(modelId, 'embeddingModel'),
    imageModel: (modelId) => noSuch(modelId, 'imageModel'),
    close: () => base.close(),
  };
}

type ForCall = (headers: Record<string, string | undefined> | undefined) => Provider;

/** A ProviderError as the AI SDK's APICallError, carrying kind, cause and solution in `data`. */
export function toApiCallError(error: unknown, operation: string, modelId: string): unknown {
  if (!(error instanceof ProviderError)) return error;
  const responseHeaders: Record<string, string> = {};
  if (error.retryAfterMs !== undefined) responseHeaders['retry-after-ms'] = String(error.retryAfterMs);
  if (error.requestId !== undefined) responseHeaders['x-amzn-requestid'] = error.requestId;
  const text = [error.message];
  if (error.cause) text.push(`Cause: ${error.cause}`);
  if (error.solution) text.push(`Solution: ${error.solution}`);
  return new APICallError({
    message: text.join(' '),
    url: `${PROVIDER}:${operation}/${modelId}`,
    requestBodyValues: undefined,
    ...(error.status !== undefined ? { statusCode: error.status } : {}),
    responseHeaders,
    isRetryable: error.retryable,
    cause: error,
    data: error.toJSON(),
  });
}

// ---- language model ----

function bedrockOptions(options: { providerOptions?: Record<string, JSONObject> | undefined }): JSONObject {
  return options.providerOptions?.[PROVIDER] ?? options.providerOptions?.['bedrock'] ?? {};
}

const IMAGE_FORMATS: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp',
};
const DOCUMENT_FORMATS: Record<string, string> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

function bytesOf(data: string | Uint8Array | URL): Uint8Array | URL {
  if (data instanceof URL || data instanceof Uint8Array) return data;
  return new Uint8Array(Buffer.from(data, 'base64'));
}

function unsupported(feature: string, details?: string): SharedV3Warning {
  return details === undefined ? { type: 'unsupported', feature } : { type: 'unsupported', feature, details };
}

function cachePointOf(providerOptions: Record<string, JSONObject> | undefined): ContentPart | undefined {
  const cache = bedrockOptions({ providerOptions })['cachePoint'];
  if (cache === undefined || cache === null || cache === false) return undefined;
  const ttl = typeof cache === 'object' && !Array.isArray(cache) && typeof cache['ttl'] === 'string' ? cache['ttl'] : undefined;
  return { tag: 'cache-point', val: ttl === undefined ? {} : { ttl } };
}

/** The AI SDK prompt as the component's messages. */
function toMessages(prompt: LanguageModelV3Prompt, warnings: SharedV3Warning[]): Message[] {
  const messages: Message[] = [];
  let documents = 0;
  for (const message of prompt) {
    const content: ContentPart[] = [];
    switch (message.role) {
      case 'system':
        content.push({ tag: 'text', val: message.content });
        break;
      case 'user':
        for (const part of message.content) {
          if (part.type === 'text') {
            content.push({ tag: 'text', val: part.text });
          } else {
            const data = bytesOf(part.data);
            let source: { tag: 's3'; val: { uri: string } } | { tag: 'bytes'; val: Uint8Array };
            if (data instanceof URL) {
              if (data.protocol !== 's3:') {
                warnings.push(unsupported('file URL', `only s3:// URLs are passed through (got ${data.protocol})`));
                continue;
              }
              source = { tag: 's3', val: { uri: data.href } };
            } else {
              source = { tag: 'bytes', val: data };
            }
            const image = IMAGE_FORMATS[part.mediaType];
            const document = DOCUMENT_FORMATS[part.mediaType];
            if (image !== undefined) {
              content.push({ tag: 'image', val: { format: image, source } });
            } else if (document !== undefined) {
              documents += 1;
              const name = (part.filename ?? `document ${documents}`).replace(/\.[A-Za-z0-9]+$/, '')
                .replace(/[^A-Za-z0-9\s\-()[\]]/g, '-').replace(/\s+/g, ' ').trim() || `document ${documents}`;
              content.push({ tag: 'document', val: { format: document, name, source, citations: false } });
            } else {
              warnings.push(unsupported('file media type', part.mediaType));
            }
          }
          const cache = cachePointOf(part.providerOptions);
          if (cache) content.push(cache);
        }
        break;
      case 'assistant':
        for (const part of message.content) {
          if (part.type === 'text') {
            if (part.text !== '') content.push({ tag: 'text', val: part.text });
          } else if (part.type === 'reasoning') {
            const meta = bedrockOptions(part);
            const redacted = meta['redactedData'];
            if (typeof redacted === 'string') {
              content.push({ tag: 'reasoning', val: { tag: 'redacted', val: new Uint8Array(Buffer.from(redacted, 'base64')) } });
            } else {
              const signature = meta['signature'];
              content.push({
                tag: 'reasoning',
                val: { tag: 'text', val: typeof signature === 'string' ? { text: part.text, signature } : { text: part.text } },
              });
            }
          } else if (part.type === 'tool-call') {
            if (part.providerExecuted) continue;
            const input = typeof part.input === 'string' ? part.input : JSON.stringify(part.input ?? {});
            content.push({ tag: 'tool-call', val: { id: part.toolCallId, name: part.toolName, inputJson: input } });
          } else if (part.type === 'file') {
            warnings.push(unsupported('assistant file part'));
          }
        }
        break;
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue;
          const output = part.output;
          let isError = false;
          const result: Array<{ tag: 'text'; val: string } | { tag: 'json'; val: string }> = [];
          const json = (value: JSONValue): void => {
            if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
              result.push({ tag: 'json', val: JSON.stringify(value) });
            } else {
              result.push({ tag: 'text', val: JSON.stringify(value) });
            }
          };
          switch (output.type) {
            case 'text':
              result.push({ tag: 'text', val: output.value });
              break;
            case 'json':
              json(output.value);
              break;
            case 'error-text':
              isError = true;
              result.push({ tag: 'text', val: output.value });
              break;
            case 'error-json':
              isError = true;
              json(output.value);
              break;
            case 'execution-denied':
              isError = true;
              result.push({ tag: 'text', val: output.reason ?? 'The tool call was denied.' });
              break;
            case 'content':
              for (const item of output.value) {
                if (item.type === 'text') result.push({ tag: 'text', val: item.text });
                else warnings.push(unsupported(`tool result content of type ${item.type}`));
              }
              break;
          }
          if (result.length === 0) result.push({ tag: 'text', val: '' });
          content.push({ tag: 'tool-result', val: { id: part.toolCallId, content: result, isError } });
        }
        break;
    }
    const cache = cachePointOf(message.providerOptions);
    if (cache) content.push(cache);
    if (content.length > 0) messages.push({ role: message.role, content });
  }
  return messages;
}

const PASS_THROUGH = ['additionalModelRequestFields', 'additionalModelResponseFieldPaths', 'performanceConfig', 'serviceTier', 'requestMetadata'];

function toRequest(modelId: string, options: LanguageModelV3CallOptions): { request: GenerateRequest; warnings: SharedV3Warning[] } {
  const warnings: SharedV3Warning[] = [];
  if (options.topK !== undefined) warnings.push(unsupported('topK'));
  if (options.presencePenalty !== undefined) warnings.push(unsupported('presencePenalty'));
  if (options.frequencyPenalty !== undefined) warnings.push(unsupported('frequencyPenalty'));
  if (options.seed !== undefined) warnings.push(unsupported('seed'));
  if (options.responseFormat?.type === 'json') warnings.push(unsupported('responseFormat', 'JSON response format is not sent; describe the format in the prompt or use a tool'));
  const extras = bedrockOptions(options);
  const tools: ToolDefinition[] = [];
  for (const tool of options.tools ?? []) {
    if (tool.type !== 'function') {
      warnings.push(unsupported(`provider tool ${tool.id}`));
      continue;
    }
    const definition: ToolDefinition = { name: tool.name, inputSchemaJson: JSON.stringify(tool.inputSchema) };
    if (tool.description !== undefined) definition.description = tool.description;
    const cache = cachePointOf(tool.providerOptions);
    if (cache?.tag === 'cache-point') definition.cachePoint = cache.val;
    tools.push(definition);
  }
  const request: GenerateRequest = {
    model: modelId,
    messages: toMessages(options.prompt, warnings),
    settings: { stopSequences: options.stopSequences ?? [] },
    tools,
  };
  if (options.maxOutputTokens !== undefined) request.settings.maxTokens = options.maxOutputTokens;
  if (options.temperature !== undefined) request.settings.temperature = options.temperature;
  if (options.topP !== undefined) request.settings.topP = options.topP;
  const budget = extras['reasoningBudget'] ?? (typeof extras['reasoningConfig'] === 'object' && extras['reasoningConfig'] !== null && !Array.isArray(extras['reasoningConfig']) ? extras['reasoningConfig']['budgetTokens'] : undefined);
  if (typeof budget === 'number') request.settings.reasoningBudget = budget;
  const choice = options.toolChoice;
  if (choice !== undefined && tools.length > 0) {
    request.toolChoice = choice.type === 'tool' ? { tag: 'tool', val: choice.toolName } : { tag: choice.type };
  }
  const guardrail = extras['guardrailConfig'] ?? extras['guardrail'];
  if (guardrail !== null && typeof guardrail === 'object' && !Array.isArray(guardrail)) {
    const identifier = guardrail['guardrailIdentifier'] ?? guardrail['identifier'];
    const version = guardrail['guardrailVersion'] ?? guardrail['version'];
    const trace = guardrail['trace'];
    if (typeof identifier === 'string' && typeof version === 'string') {
      request.guardrail = typeof trace === 'string' ? { identifier, version, trace } : { identifier, version };
    }
  }
  const passed: JSONObject = {};
  for (const key of PASS_THROUGH) if (extras[key] !== undefined) passed[key] = extras[key];
  if (Object.keys(passed).length > 0) request.providerOptions = JSON.stringify(passed);
  return { request, warnings };
}

function finishReason(reason: FinishReason, raw: string): LanguageModelV3FinishReason {
  const unified: LanguageModelV3FinishReason['unified'] = (() => {
    switch (reason) {
      case 'stop':
      case 'stop-sequence':
        return 'stop';
      case 'length':
      case 'context-window-exceeded':
        return 'length';
      case 'tool-calls':
        return 'tool-calls';
      case 'content-filter':
      case 'guardrail-intervened':
        return 'content-filter';
      case 'malformed-output':
      case 'malformed-tool-call':
        return 'error';
      default:
        return 'other';
    }
  })();
  return { unified, raw };
}

function usageOf(usage: Usage | undefined): LanguageModelV3Usage {
  if (usage === undefined) {
    return {
      inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: undefined, text: undefined, reasoning: undefined },
    };
  }
  const cacheRead = usage.cacheReadTokens;
  const cacheWrite = usage.cacheWriteTokens;
  const raw: JSONObject = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.totalTokens };
  if (cacheRead !== undefined) raw['cacheReadInputTokens'] = cacheRead;
  if (cacheWrite !== undefined) raw['cacheWriteInputTokens'] = cacheWrite;
  return {
    inputTokens: {
      total: usage.inputTokens + (cacheRead ?? 0) + (cacheWrite ?? 0),
      noCache: usage.inputTokens,
      cacheRead,
      cacheWrite,
    },
    outputTokens: { total: usage.outputTokens, text: undefined, reasoning: undefined },
    raw,
  };
}

function componentWarnings(warnings: Warning[]): SharedV3Warning[] {
  return warnings.map((w) => ({ type: 'other', message: `${w.code}: ${w.message}` }));
}

function metadataOf(meta: ResponseMetadata, extra: JSONObject = {}): SharedV3ProviderMetadata {
  const out: JSONObject = { model: meta.model, ...extra };
  if (meta.requestId !== undefined) out['requestId'] = meta.requestId;
  if (meta.latencyMs !== undefined) out['latencyMs'] = meta.latencyMs;
  return { [PROVIDER]: out };
}

function parseJson(text: string | undefined): JSONValue | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JSONValue;
  } catch {
    return text;
  }
}

function contentOf(response: GenerateResponse): LanguageModelV3Content[] {
  const out: LanguageModelV3Content[] = [];
  for (const part of response.content) {
    switch (part.tag) {
      case 'text':
        out.push({ type: 'text', text: part.val });
        break;
      case 'cited-text': {
        const citations = parseJson(part.val.citationsJson) ?? null;
        out.push({ type: 'text', text: part.val.text, providerMetadata: { [PROVIDER]: { citations } } });
        break;
      }
      case 'reasoning':
        if (part.val.tag === 'text') {
          const signature = part.val.val.signature;
          out.push(signature === undefined
            ? { type: 'reasoning', text: part.val.val.text }
            : { type: 'reasoning', text: part.val.val.text, providerMetadata: { [PROVIDER]: { signature } } });
        } else {
          out.push({ type: 'reasoning', text: '', providerMetadata: { [PROVIDER]: { redactedData: Buffer.from(part.val.val).toString('base64') } } });
        }
        break;
      case 'tool-call':
        out.push({ type: 'tool-call', toolCallId: part.val.id, toolName: part.val.name, input: part.val.inputJson });
        break;
      default:
        break;
    }
  }
  return out;
}

class BedrockLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = PROVIDER;
  // Bedrock reads images and documents from S3 itself; other URLs are downloaded by the AI SDK.
  readonly supportedUrls: Record<string, RegExp[]> = { 'image/*': [/^s3:\/\//], 'application/*': [/^s3:\/\//], 'text/*': [/^s3:\/\//] };

  constructor(
    readonly modelId: string,
    private readonly forCall: ForCall,
  ) {}

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { request, warnings } = toRequest(this.modelId, options);
    let response: GenerateResponse;
    try {
      response = await this.forCall(options.headers).generate(request, options.abortSignal ? { signal: options.abortSignal } : {});
    } catch (e) {
      throw toApiCallError(e, 'generate', this.modelId);
    }
    const extra: JSONObject = {};
    const trace = parseJson(response.traceJson);
    if (trace !== undefined) extra['trace'] = trace;
    const fields = parseJson(response.additionalFieldsJson);
    if (fields !== undefined) extra['additionalFields'] = fields;
    const result: LanguageModelV3GenerateResult = {
      content: contentOf(response),
      finishReason: finishReason(response.finishReason, response.rawFinishReason),
      usage: usageOf(response.usage),
      providerMetadata: metadataOf(response.metadata, extra),
      warnings: [...warnings, ...componentWarnings(response.warnings)],
      request: { body: undefined },
      response: { modelId: response.metadata.model, timestamp: new Date() },
    };
    if (response.metadata.requestId !== undefined && result.response) result.response.id = response.metadata.requestId;
    return result;
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { request, warnings } = toRequest(this.modelId, options);
    const stream = this.forCall(options.headers).stream(request, options.abortSignal ? { signal: options.abortSignal } : {});
    try {
      await stream.ready;
    } catch (e) {
      throw toApiCallError(e, 'stream', this.modelId);
    }
    const modelId = this.modelId;
    const iterator = stream[Symbol.asyncIterator]();
    const open = new Map<number, { kind: 'text' | 'reasoning'; signature?: string }>();
    const tools = new Map<number, { id: string; name: string }>();
    const extraWarnings: SharedV3Warning[] = [];
    let finish: LanguageModelV3FinishReason = { unified: 'other', raw: undefined };
    let usage: Usage | undefined;
    let meta: ResponseMetadata = { model: modelId };
    const extra: JSONObject = {};
    const closeBlock = (index: number, out: LanguageModelV3StreamPart[]): void => {
      const block = open.get(index);
      if (!block) return;
      open.delete(index);
      if (block.kind === 'text') out.push({ type: 'text-end', id: String(index) });
      else if (block.signature !== undefined) {
        out.push({ type: 'reasoning-end', id: String(index), providerMetadata: { [PROVIDER]: { signature: block.signature } } });
      } else out.push({ type: 'reasoning-end', id: String(index) });
    };
    const openBlock = (index: number, kind: 'text' | 'reasoning', out: LanguageModelV3StreamPart[]): void => {
      const block = open.get(index);
      if (block?.kind === kind) return;
      closeBlock(index, out);
      open.set(index, { kind });
      out.push({ type: kind === 'text' ? 'text-start' : 'reasoning-start', id: String(index) });
    };
    const readable = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings });
      },
      // Each pull enqueues at least one part (or ends the stream): a pull that enqueues
      // nothing is not repeated by the ReadableStream, which would leave the reader waiting.
      async pull(controller) {
        for (;;) {
          if (await step(controller)) return;
        }
      },
      cancel() {
        stream.cancel();
      },
    }, { highWaterMark: 0 });
    /** Handles one component part; true when something was enqueued or the stream ended. */
    const step = async (controller: ReadableStreamDefaultController<LanguageModelV3StreamPart>): Promise<boolean> => {
      {
        let item: IteratorResult<import('./types.js').StreamPart>;
        try {
          item = await iterator.next();
        } catch (e) {
          controller.enqueue({ type: 'error', error: toApiCallError(e, 'stream', modelId) });
          controller.close();
          return true;
        }
        const out: LanguageModelV3StreamPart[] = [];
        if (item.done) {
          for (const index of [...open.keys()]) closeBlock(index, out);
          if (extraWarnings.length > 0) extra['warnings'] = extraWarnings.map((w) => (w.type === 'other' ? w.message : w.feature));
          out.push({ type: 'finish', finishReason: finish, usage: usageOf(usage), providerMetadata: metadataOf(meta, extra) });
          for (const part of out) controller.enqueue(part);
          controller.close();
          return true;
        }
        const part = item.value;
        switch (part.tag) {
          case 'start':
            meta = part.val;
            out.push(part.val.requestId === undefined
              ? { type: 'response-metadata', modelId: part.val.model, timestamp: new Date() }
              : { type: 'response-metadata', id: part.val.requestId, modelId: part.val.model, timestamp: new Date() });
            break;
          case 'text-delta':
            openBlock(part.val.index, 'text', out);
            out.push({ type: 'text-delta', id: String(part.val.index), delta: part.val.text });
            break;
          case 'reasoning-delta': {
            const index = part.val.index;
            openBlock(index, 'reasoning', out);
            if (part.val.text !== undefined) out.push({ type: 'reasoning-delta', id: String(index), delta: part.val.text });
            if (part.val.redacted !== undefined) {
              out.push({ type: 'reasoning-delta', id: String(index), delta: '', providerMetadata: { [PROVIDER]: { redactedData: Buffer.from(part.val.redacted).toString('base64') } } });
            }
            const block = open.get(index);
            if (part.val.signature !== undefined && block) block.signature = part.val.signature;
            break;
          }
          case 'tool-call-start':
            closeBlock(part.val.index, out);
            tools.set(part.val.index, { id: part.val.id, name: part.val.name });
            out.push({ type: 'tool-input-start', id: part.val.id, toolName: part.val.name });
            break;
          case 'tool-call-delta': {
            const tool = tools.get(part.val.index);
            if (tool) out.push({ type: 'tool-input-delta', id: tool.id, delta: part.val.inputFragment });
            break;
          }
          case 'tool-call-end':
            out.push({ type: 'tool-input-end', id: part.val.id });
            out.push({ type: 'tool-call', toolCallId: part.val.id, toolName: part.val.name, input: part.val.inputJson });
            break;
          case 'citation': {
            const list = Array.isArray(extra['citations']) ? extra['citations'] : [];
            list.push(parseJson(part.val) ?? null);
            extra['citations'] = list;
            break;
          }
          case 'finish': {
            finish = finishReason(part.val.reason, part.val.raw);
            const fields = parseJson(part.val.additionalFieldsJson);
            if (fields !== undefined) extra['additionalFields'] = fields;
            break;
          }
          case 'usage':
            usage = part.val;
            break;
          case 'warning':
            extraWarnings.push({ type: 'other', message: `${part.val.code}: ${part.val.message}` });
            break;
          case 'trace':
            extra['trace'] = parseJson(part.val) ?? null;
            break;
        }
        for (const p of out) controller.enqueue(p);
        return out.length > 0;
      }
    };
    return { stream: readable, request: { body: undefined } };
  }
}

// ---- reranking model ----

class BedrockRerankingModel implements RerankingModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = PROVIDER;

  constructor(
    readonly modelId: string,
    private readonly forCall: ForCall,
  ) {}

  async doRerank(options: RerankingModelV3CallOptions): Promise<Awaited<ReturnType<RerankingModelV3['doRerank']>>> {
    const documents = options.documents.type === 'text'
      ? options.documents.values.map((val) => ({ tag: 'text' as const, val }))
      : options.documents.values.map((val) => ({ tag: 'json' as const, val: JSON.stringify(val) }));
    const extras = bedrockOptions(options);
    const request: import('./types.js').RerankRequest = { model: this.modelId, query: options.query, documents };
    if (options.topN !== undefined) request.topN = options.topN;
    if (Object.keys(extras).length > 0) request.providerOptions = JSON.stringify(extras);
    try {
      const response = await this.forCall(options.headers).rerank(request, options.abortSignal ? { signal: options.abortSignal } : {});
      const result: Awaited<ReturnType<RerankingModelV3['doRerank']>> = {
        ranking: response.results.map((r) => ({ index: r.index, relevanceScore: r.relevanceScore })),
        providerMetadata: metadataOf(response.metadata),
        warnings: componentWarnings(response.warnings),
        response: { modelId: response.metadata.model, timestamp: new Date() },
      };
      if (response.metadata.requestId !== undefined && result.response) result.response.id = response.metadata.requestId;
      return result;
    } catch (e) {
      throw toApiCallError(e, 'rerank', this.modelId);
    }
  }
}
