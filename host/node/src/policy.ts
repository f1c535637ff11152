// The outbound policy, evaluated from the provider manifest (wit/MANIFEST.md, version 1) exactly
// as every host must: templates expanded from values, each expansion parsed strictly as an
// origin, base-URL settings parsed as URLs, then the operator's rules. A pure function of the
// manifest, the call's settings and the rules; the worker asks it before anything leaves, and
// the I/O side asks it again before connecting.
import { isIPv4, isIPv6 } from 'node:net';

/** One entry of `outbound.values`. */
export type ValueSpec =
  | { oneOf: string[] }
  | { setting: string; pattern: string; maxLength?: number }
  | { setting: string; cases: Array<{ pattern: string; value: string }>; maxLength?: number };

/** The provider manifest (only what a host needs is typed strictly). */
export interface Manifest {
  manifestVersion: number;
  provider: string;
  contract?: string;
  settings?: {
    secrets?: string[];
    masked?: string[];
    models?: { language?: string; reranking?: string; embedding?: string };
    modelPrefix?: string;
  };
  outbound: {
    values?: Record<string, ValueSpec>;
    origins?: string[];
    originSettings?: string[];
  };
}

/** What the operator allows beyond the manifest. */
export interface OperatorRules {
  /** Whether the manifest's `originSettings` (tenant base URLs) may open their origins. Default true. */
  allowBaseUrls?: boolean;
  /** Literal origins added to every call's policy, e.g. `https://gateway.internal.example`. */
  extraOrigins?: string[];
}

/** `scheme://host:port`, normalised: lower-case host, explicit port. */
export interface Origin {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

/** The origins one call may reach, with notes on what allowed nothing (for deny reasons). */
export interface Policy {
  origins: Origin[];
  notes: string[];
}

export type Decision = { allow: true } | { allow: false; reason: string };

const DEFAULT_MAX_LENGTH = 64;

/** Validates a manifest's shape and version; throws with a readable reason. */
export function checkManifest(value: unknown): Manifest {
  if (value === null || typeof value !== 'object') throw new Error('the manifest is not a JSON object');
  const m = value as Partial<Manifest>;
  if (m.manifestVersion !== 1) {
    throw new Error(`manifest version ${JSON.stringify(m.manifestVersion)} is not supported (this host reads version 1)`);
  }
  if (typeof m.provider !== 'string' || m.provider === '') throw new Error('the manifest names no provider');
  if (m.outbound === null || typeof m.outbound !== 'object') throw new Error('the manifest has no `outbound` section');
  for (const [name, spec] of Object.entries(m.outbound.values ?? {})) {
    for (const pattern of patternsOf(spec)) {
      try {
        anchored(pattern);
      } catch {
        throw new Error(`the manifest's value \`${name}\` has an invalid pattern`);
      }
    }
  }
  return m as Manifest;
}

function patternsOf(spec: ValueSpec): string[] {
  if ('pattern' in spec) return [spec.pattern];
  if ('cases' in spec) return spec.cases.map((c) => c.pattern);
  return [];
}

const compiled = new Map<string, RegExp>();

/** `^(?:pattern)$`, no flags: the subset Rust's regex-lite and ECMAScript agree on. */
function anchored(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** A setting by dotted path (`timeouts.totalMs`), or undefined. */
export function settingAt(settings: unknown, path: string): unknown {
  let cur: unknown = settings;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The strings one value yields for these settings (empty: the value yields nothing). */
export function valueStrings(spec: ValueSpec, settings: unknown): string[] {
  if ('oneOf' in spec) return spec.oneOf.filter((s) => typeof s === 'string');
  const raw = settingAt(settings, spec.setting);
  if (typeof raw !== 'string') return [];
  if (Buffer.byteLength(raw, 'utf8') > (spec.maxLength ?? DEFAULT_MAX_LENGTH)) return [];
  if ('pattern' in spec) return anchored(spec.pattern).test(raw) ? [raw] : [];
  for (const c of spec.cases) {
    if (anchored(c.pattern).test(raw)) return [c.value];
  }
  return [];
}

/** Expands `{name}` placeholders in every combination; [] when a placeholder yields nothing. */
function expand(template: string, values: Record<string, string[]>): string[] | { missing: string } {
  const parts = template.split(/(\{[^{}]*\})/);
  let results = [''];
  for (const part of parts) {
    const m = /^\{([^{}]*)\}$/.exec(part);
    if (m === null) {
      results = results.map((r) => r + part);
      continue;
    }
    const name = m[1] ?? '';
    const options = values[name];
    if (options === undefined || options.length === 0) return { missing: name };
    const next: string[] = [];
    for (const r of results) for (const o of options) next.push(r + o);
    results = next;
  }
  return results;
}

/** `localhost`, 127.0.0.0/8 or `[::1]` (host as normalised by `normaliseHost`). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (host.startsWith('[') && host.endsWith(']')) return host === '[::1]';
  return false;
}

function isIpLiteral(host: string): boolean {
  return isIPv4(host) || (host.startsWith('[') && host.endsWith(']'));
}

/** A lower-case DNS name: labels of [a-z0-9-], 1-63 long, no leading/trailing hyphen, no trailing dot. */
export function isDnsName(host: string): boolean {
  if (host === '' || host.length > 253 || isIPv4(host)) return false;
  return host.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
}

/** `[v6]` in canonical form, or a lower-cased name; undefined when malformed. */
function normaliseHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return undefined;
    const inner = host.slice(1, -1);
    if (!isIPv6(inner)) return undefined;
    try {
      return new URL(`http://[${inner}]/`).hostname;
    } catch {
      return undefined;
    }
  }
  return host.toLowerCase();
}

function parsePort(text: string | undefined, scheme: 'http' | 'https'): number | undefined {
  if (text === undefined) return scheme === 'https' ? 443 : 80;
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Splits `host[:port]` (IPv6 in brackets); undefined for user info or malformed input. */
function splitAuthority(authority: string): { host: string; port: string | undefined } | undefined {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return undefined;
    const host = authority.slice(0, end + 1);
    const rest = authority.slice(end + 1);
    if (rest === '') return { host, port: undefined };
    if (!rest.startsWith(':')) return undefined;
    return { host, port: rest.slice(1) };
  }
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return { host: authority, port: undefined };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/**
 * Parses a template expansion strictly: `https://host[:port]` (or `http://` to loopback), host a
 * lower-case DNS name or a loopback IP literal, nothing else.
 */
export function parseStrictOrigin(text: string): Origin | string {
  const m = /^(https?):\/\/([^/?#@\s]*)$/.exec(text);
  if (m === null) return 'it is not scheme://host[:port]';
  const scheme = m[1] as 'http' | 'https';
  const split = splitAuthority(m[2] ?? '');
  if (split === undefined) return 'its authority is malformed';
  const host = normaliseHost(split.host);
  if (host === undefined || host !== split.host) return 'its host is not a lower-case name or IP literal';
  const port = parsePort(split.port, scheme);
  if (port === undefined) return 'its port is malformed';
  const loopback = isLoopback(host);
  if (!(isDnsName(host) || loopback)) return 'its host is neither a DNS name nor a loopback address';
  if (scheme === 'http' && !loopback) return 'plain http is only allowed to loopback';
  return { scheme, host, port };
}

/** Parses a base-URL setting's origin (manifest step 3). */
export function parseBaseUrlOrigin(text: string): Origin | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it is not an absolute URL';
  }
  const scheme = url.protocol === 'https:' ? 'https' : url.protocol === 'http:' ? 'http' : undefined;
  if (scheme === undefined) return 'it is not an http(s) URL';
  // The URL parser accepts `https:gw.example.com` and `https:/gw...`; an origin needs `//`.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return 'it is not an absolute URL';
  if (url.username !== '' || url.password !== '') return 'it has user info';
  const host = url.hostname;
  const loopback = isLoopback(host);
  if (!(isDnsName(host) || loopback)) {
    return isIpLiteral(host) ? 'IP addresses other than loopback are not allowed' : 'its host is not a DNS name';
  }
  if (scheme === 'http' && !loopback) return 'plain http is only allowed to loopback';
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  return { scheme, host, port };
}

/** Parses an operator's literal origin (`extraOrigins`): any host the operator names. */
export function parseOperatorOrigin(text: string): Origin | string {
  const m = /^(https?):\/\/([^/?#@\s]*)\/?$/i.exec(text);
  if (m === null) return 'it is not scheme://host[:port]';
  const scheme = (m[1] ?? '').toLowerCase() as 'http' | 'https';
  const split = splitAuthority(m[2] ?? '');
  if (split === undefined) return 'its authority is malformed';
  const host = normaliseHost(split.host);
  if (host === undefined || !(isDnsName(host) || isIpLiteral(host))) return 'its host is malformed';
  const port = parsePort(split.port, scheme);
  if (port === undefined) return 'its port is malformed';
  return { scheme, host, port };
}

export function originText(o: Origin): string {
  return `${o.scheme}://${o.host}:${o.port}`;
}

/** The policy for one call: the manifest evaluated for `settings`, under `rules`. */
export function buildPolicy(manifest: Manifest, settings: unknown, rules: OperatorRules = {}): Policy {
  const origins: Origin[] = [];
  const notes: string[] = [];
  const add = (o: Origin): void => {
    if (!origins.some((x) => x.scheme === o.scheme && x.host === o.host && x.port === o.port)) origins.push(o);
  };
  const values: Record<string, string[]> = {};
  for (const [name, spec] of Object.entries(manifest.outbound.values ?? {})) {
    values[name] = valueStrings(spec, settings);
  }
  // Steps 1-2: templates.
  for (const template of manifest.outbound.origins ?? []) {
    const expanded = expand(template, values);
    if (!Array.isArray(expanded)) {
      notes.push(`\`${template}\` allows nothing: \`{${expanded.missing}}\` yields no value for these settings`);
      continue;
    }
    for (const text of expanded) {
      const origin = parseStrictOrigin(text);
      if (typeof origin === 'string') notes.push(`\`${text}\` is dropped: ${origin}`);
      else add(origin);
    }
  }
  // Steps 3-4: base-URL settings, unless the operator refuses them; the operator's origins.
  for (const key of manifest.outbound.originSettings ?? []) {
    const raw = settingAt(settings, key);
    if (typeof raw !== 'string') continue;
    if (rules.allowBaseUrls === false) {
      notes.push(`\`${key}\` is ignored: the operator does not allow base URLs on this host`);
      continue;
    }
    const origin = parseBaseUrlOrigin(raw);
    if (typeof origin === 'string') notes.push(`\`${key}\` allows nothing: ${origin}`);
    else add(origin);
  }
  for (const literal of rules.extraOrigins ?? []) {
    const origin = parseOperatorOrigin(literal);
    if (typeof origin === 'string') notes.push(`extra origin \`${literal}\` is ignored: ${origin}`);
    else add(origin);
  }
  return { origins, notes };
}

/**
 * Whether a request to `scheme://authority` may be sent. `authority` is what the component put
 * in the request (`host` or `host:port`, no user info).
 */
export function decide(policy: Policy, scheme: string, authority: string): Decision {
  const deny = (why: string): Decision => ({
    allow: false,
    reason: [why, ...policy.notes].join('; '),
  });
  if (scheme !== 'http' && scheme !== 'https') return deny(`scheme \`${scheme}\` is not allowed`);
  const split = /[\s@/?#\\]/.test(authority) ? undefined : splitAuthority(authority);
  if (split === undefined) return deny(`malformed authority \`${authority}\``);
  const host = normaliseHost(split.host);
  const port = parsePort(split.port, scheme);
  if (host === undefined || port === undefined || !(isDnsName(host) || isIpLiteral(host) || host === 'localhost')) {
    return deny(`malformed authority \`${authority}\``);
  }
  if (policy.origins.some((o) => o.scheme === scheme && o.host === host && o.port === port)) {
    return { allow: true };
  }
  return deny(`${scheme}://${authority} is not an origin the manifest and the operator's rules allow for these settings`);
}
