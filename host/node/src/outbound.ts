// Outbound HTTP for the workers, on the main thread's event loop (asynchronous sockets only:
// nothing here blocks). One keep-alive agent per host serves every call, as the Rust host's
// pooled client does. Each request is checked against the call's policy again, then sent with
// the guest's timeouts and the body cap; every failure becomes a wasi:http error code.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';

import { decide, type Policy } from './policy.js';
import type { HttpErrorCode, MainIoMessage, SendMessage } from './protocol.js';

/** The connect deadline when the component sets none (as the Rust host). */
const DEFAULT_CONNECT_MS = 30_000;

export interface OutboundOptions {
  maxResponseBytes: number;
  /** TLS trust for https upstreams (tests); default: Node's CA store. */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** Maps a Node socket/HTTP error to the closest wasi:http error code. */
export function errorCodeFor(err: unknown): HttpErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  const c = typeof code === 'string' ? code : '';
  switch (c) {
    case 'ECONNREFUSED':
      return { tag: 'connection-refused' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return { tag: 'connection-terminated' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return { tag: 'DNS-error', val: { rcode: c, infoCode: undefined } };
    case 'ETIMEDOUT':
      return { tag: 'connection-timeout' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return { tag: 'destination-unavailable' };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_UNTRUSTED':
    case 'CERT_REVOKED':
      return { tag: 'TLS-certificate-error' };
  }
  if (c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS')) return { tag: 'TLS-protocol-error' };
  if (c.startsWith('HPE_')) return { tag: 'HTTP-protocol-error' };
  return { tag: 'internal-error', val: c !== '' ? `outbound request failed (${c})` : 'outbound request failed' };
}

/** One open exchange, owned by a worker slot. */
interface Open {
  request: http.ClientRequest;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/** Sends the requests of one worker and streams the answers back to it. */
export class Outbound {
  private readonly httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: OutboundOptions) {
    this.httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo', ...(options.ca ? { ca: options.ca } : {}) });
  }

  /** Starts an exchange; `post` delivers events to the worker. Returns a handle to abort it. */
  send(message: SendMessage, policy: Policy, post: (m: MainIoMessage) => void): { abort(): void } {
    const { rid } = message;
    const state: Open = { request: undefined as unknown as http.ClientRequest, timer: undefined, done: false };
    const fail = (code: HttpErrorCode, afterHead: boolean): void => {
      if (state.done) return;
      state.done = true;
      clearTimeout(state.timer);
      post({ t: 'error', rid, code, afterHead });
      state.request?.destroy();
    };
    // The worker checked the policy already; a second look costs microseconds.
    if (!decide(policy, message.scheme, message.authority).allow) {
      post({ t: 'error', rid, code: { tag: 'HTTP-request-denied' }, afterHead: false });
      return { abort() {} };
    }
    const { host, port } = splitHostPort(message.authority, message.scheme);
    const headers: Record<string, string | string[]> = { host: message.authority };
    for (const [name, value] of message.headers) {
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    const secure = message.scheme === 'https';
    const requestOptions: https.RequestOptions = {
      method: message.method,
      host,
      port,
      path: message.path,
      headers,
      setHost: false,
      agent: secure ? this.httpsAgent : this.httpAgent,
    };
    if (secure && isIP(host) === 0) requestOptions.servername = host;
    const timeouts = message.timeouts;
    let request: http.ClientRequest;
    try {
      request = (secure ? https : http).request(requestOptions);
    } catch (e) {
      fail(errorCodeFor(e), false);
      return { abort() {} };
    }
    state.request = request;
    let headSeen = false;

    const arm = (ms: number | undefined, code: HttpErrorCode): void => {
      clearTimeout(state.timer);
      state.timer = ms === undefined ? undefined : setTimeout(() => fail(code, headSeen), ms);
    };
    const firstByte = (): void => arm(timeouts.firstByteMs, { tag: 'connection-read-timeout' });

    request.on('socket', (socket: Socket) => {
      if (state.done) return;
      if (socket.connecting) {
        arm(timeouts.connectMs ?? DEFAULT_CONNECT_MS, { tag: 'connection-timeout' });
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          if (!state.done && !headSeen) firstByte();
        });
      } else {
        // A pooled keep-alive connection: the request can be written at once.
        firstByte();
      }
    });
    request.on('response', (response: http.IncomingMessage) => {
      if (state.done) {
        response.destroy();
        return;
      }
      headSeen = true;
      clearTimeout(state.timer);
      const cap = this.options.maxResponseBytes;
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > cap) {
        // Refused from the declared length, before reading any of it.
        headSeen = false;
        fail({ tag: 'HTTP-response-body-size', val: BigInt(declared) }, false);
        return;
      }
      const raw = response.rawHeaders;
      const pairs: Array<[string, Uint8Array]> = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        pairs.push([raw[i] ?? '', Buffer.from(raw[i + 1] ?? '', 'latin1')]);
      }
      post({ t: 'head', rid, status: response.statusCode ?? 0, headers: pairs });
      let received = 0;
      const between = (): void => arm(timeouts.betweenBytesMs, { tag: 'connection-read-timeout' });
      between();
      response.on('data', (chunk: Buffer) => {
        if (state.done) return;
        received += chunk.byteLength;
        if (received > cap) {
          fail({ tag: 'HTTP-response-body-size', val: BigInt(received) }, true);
          return;
        }
        between();
        // A copy in a buffer of its own, handed over without another copy.
        const copy = new Uint8Array(chunk.byteLength);
        copy.set(chunk);
        post({ t: 'data', rid, chunk: copy });
      });
      response.on('end', () => {
        if (state.done) return;
        state.done = true;
        clearTimeout(state.timer);
        post({ t: 'end', rid });
      });
      response.on('aborted', () => fail({ tag: 'HTTP-response-incomplete' }, true));
      response.on('error', (e) => fail(errorCodeFor(e), true));
      response.on('close', () => {
        if (!state.done && !response.complete) fail({ tag: 'HTTP-response-incomplete' }, true);
      });
    });
    request.on('error', (e) => fail(errorCodeFor(e), headSeen));
    request.end(Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength));
    return {
      abort: () => {
        if (state.done) return;
        state.done = true;
        clearTimeout(state.timer);
        request.destroy();
      },
    };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** `host[:port]` with the brackets of an IPv6 literal removed for the socket layer. */
function splitHostPort(authority: string, scheme: 'http' | 'https'): { host: string; port: number } {
  let host = authority;
  let port = scheme === 'https' ? 443 : 80;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    host = authority.slice(1, end);
    const rest = authority.slice(end + 1);
    if (rest.startsWith(':')) port = Number(rest.slice(1));
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      port = Number(authority.slice(colon + 1));
    }
  }
  return { host, port };
}
