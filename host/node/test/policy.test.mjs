// The manifest policy (wit/MANIFEST.md) as a table: templates, values with patterns and cases,
// origin settings, the operator's rules, and the tricks a tenant's value could try.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildPolicy, checkManifest, decide } from '../dist/esm/index.js';
import { repo } from './helpers.mjs';

const manifest = checkManifest(JSON.parse(readFileSync(join(repo, 'guest', 'manifest.json'), 'utf8')));
const allowed = (settings, scheme, authority, rules) => decide(buildPolicy(manifest, settings, rules), scheme, authority).allow;

test('region endpoints from the templates', () => {
  const us = { region: 'us-east-1' };
  const rows = [
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:443', true],
    [us, 'https', 'BEDROCK-RUNTIME.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock-runtime-fips.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock-agent-runtime.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock-agent-runtime-fips.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock-fips.us-east-1.amazonaws.com', true],
    [us, 'https', 'bedrock-runtime.us-east-1.api.aws', true],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:0443', true],
    [us, 'http', 'bedrock-runtime.us-east-1.amazonaws.com', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:8443', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:80', false],
    [us, 'https', 'bedrock-runtime.us-west-2.amazonaws.com', false],
    [us, 'https', 's3.us-east-1.amazonaws.com', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com.cn', false],
    [us, 'ftp', 'bedrock-runtime.us-east-1.amazonaws.com', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com@evil.com', false],
    [us, 'https', 'evil.com@bedrock-runtime.us-east-1.amazonaws.com', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com.', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com.evil.com', false],
    [us, 'https', 'evil.com/bedrock-runtime.us-east-1.amazonaws.com', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:+443', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com:65979', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com%00', false],
    [us, 'https', 'bedrock-runtime.us-east-1.amazonaws.com ', false],
    [us, 'https', '', false],
    [us, 'https', '127.0.0.1', false],
    [us, 'https', '[::1]:443', false],
  ];
  for (const [settings, scheme, authority, want] of rows) {
    assert.equal(allowed(settings, scheme, authority), want, `${scheme}://${authority}`);
  }
});

test('partitions come from the value cases; values that do not match in full yield nothing', () => {
  const rows = [
    ['cn-north-1', 'bedrock-runtime.cn-north-1.amazonaws.com.cn', true],
    ['cn-north-1', 'bedrock-runtime.cn-north-1.amazonaws.com', false],
    ['eusc-de-east-1', 'bedrock-runtime.eusc-de-east-1.amazonaws.eu', true],
    ['eusc-de-east-1', 'bedrock-runtime.eusc-de-east-1.amazonaws.com', false],
    ['us-gov-west-1', 'bedrock-runtime-fips.us-gov-west-1.amazonaws.com', true],
    ['us-iso-east-1', 'bedrock-runtime.us-iso-east-1.c2s.ic.gov', true],
    ['us-isob-east-1', 'bedrock-runtime.us-isob-east-1.sc2s.sgov.gov', true],
    ['ap-southeast-2', 'bedrock-runtime.ap-southeast-2.api.aws', true],
    ['US-EAST-1', 'bedrock-runtime.us-east-1.amazonaws.com', false],
    ['us-east', 'bedrock-runtime.us-east.amazonaws.com', false],
    ['xx-east-1', 'bedrock-runtime.xx-east-1.amazonaws.com', false],
    ['us-east-1.evil.com', 'bedrock-runtime.us-east-1.evil.com.amazonaws.com', false],
    ['us-east-1#', 'bedrock-runtime.us-east-1#.amazonaws.com', false],
    ['x.evil.com#', 'bedrock-runtime.x.evil.com', false],
    ['us--1', 'bedrock-runtime.us--1.amazonaws.com', false],
    [`us-${'a'.repeat(40)}-1`, `bedrock-runtime.us-${'a'.repeat(40)}-1.amazonaws.com`, false],
  ];
  for (const [region, authority, want] of rows) {
    assert.equal(allowed({ region }, 'https', authority), want, `${region} ${authority}`);
  }
  assert.equal(allowed({}, 'https', 'bedrock-runtime.us-east-1.amazonaws.com'), false);
  assert.equal(allowed({ region: 5 }, 'https', 'bedrock-runtime.5.amazonaws.com'), false);
  const note = buildPolicy(manifest, { region: 'xx-east-1' }).notes.join('; ');
  assert.match(note, /\{dnsSuffix\}` yields no value/);
});

test('base-URL settings open their exact origin', () => {
  const rows = [
    ['https://gw.example.com', 'https', 'gw.example.com', true],
    ['https://gw.example.com/bedrock/', 'https', 'gw.example.com:443', true],
    ['HTTPS://GW.example.com', 'https', 'gw.example.com', true],
    ['https://gw.example.com', 'http', 'gw.example.com', false],
    ['https://gw.example.com', 'https', 'gw.example.com:8443', false],
    ['https://gw.example.com', 'https', 'sub.gw.example.com', false],
    ['https://gw.example.com:8443/x', 'https', 'gw.example.com:8443', true],
    ['https://gw.example.com?x=1', 'https', 'gw.example.com', true],
    ['http://gw.example.com', 'http', 'gw.example.com', false],
    ['http://127.0.0.1:8080', 'http', '127.0.0.1:8080', true],
    ['http://127.0.0.1:8080', 'http', '127.0.0.1:8081', false],
    ['http://127.0.0.1:8080', 'https', '127.0.0.1:8080', false],
    ['http://127.1.2.3:9', 'http', '127.1.2.3:9', true],
    ['http://localhost:3000', 'http', 'localhost:3000', true],
    ['http://localhost', 'http', 'localhost:80', true],
    ['http://[::1]:8080/', 'http', '[::1]:8080', true],
    ['http://[::1]:8080/', 'http', '[::2]:8080', false],
    ['https://127.0.0.1:8443', 'https', '127.0.0.1:8443', true],
    ['https://10.0.0.1', 'https', '10.0.0.1', false],
    ['https://[2001:db8::1]', 'https', '[2001:db8::1]', false],
    ['https://user:pw@gw.example.com', 'https', 'gw.example.com', false],
    ['https://gw.example.com@evil.com', 'https', 'evil.com', false],
    ['https://gw.example.com.', 'https', 'gw.example.com', false],
    ['gw.example.com', 'https', 'gw.example.com', false],
    ['ftp://gw.example.com', 'https', 'gw.example.com', false],
    ['https://', 'https', '', false],
    ['https://gw.example.com:99999', 'https', 'gw.example.com:99999', false],
  ];
  for (const key of ['baseUrl', 'agentRuntimeBaseUrl', 'controlPlaneBaseUrl']) {
    for (const [base, scheme, authority, want] of rows) {
      assert.equal(allowed({ [key]: base }, scheme, authority), want, `${key}=${base}: ${scheme}://${authority}`);
    }
  }
  const deny = decide(buildPolicy(manifest, { baseUrl: 'https://10.0.0.1' }), 'https', '10.0.0.1');
  assert.match(deny.reason, /`baseUrl` allows nothing: IP addresses other than loopback/);
});

test('operator rules: allowBaseUrls and extraOrigins', () => {
  const settings = { region: 'us-east-1', baseUrl: 'http://127.0.0.1:4000', agentRuntimeBaseUrl: 'https://agents.example.com' };
  const off = { allowBaseUrls: false };
  assert.equal(allowed(settings, 'http', '127.0.0.1:4000'), true);
  assert.equal(allowed(settings, 'https', 'agents.example.com'), true);
  assert.equal(allowed(settings, 'http', '127.0.0.1:4000', off), false);
  assert.equal(allowed(settings, 'https', 'agents.example.com', off), false);
  assert.equal(allowed(settings, 'https', 'bedrock-runtime.us-east-1.amazonaws.com', off), true);
  const reason = decide(buildPolicy(manifest, settings, off), 'http', '127.0.0.1:4000').reason;
  assert.match(reason, /`baseUrl` is ignored: the operator does not allow base URLs/);
  const extra = { allowBaseUrls: false, extraOrigins: ['https://proxy.internal.example:8443', 'http://10.1.2.3:8080'] };
  assert.equal(allowed(settings, 'https', 'proxy.internal.example:8443', extra), true);
  assert.equal(allowed(settings, 'http', '10.1.2.3:8080', extra), true);
  assert.equal(allowed(settings, 'https', 'proxy.internal.example', extra), false);
});

test('manifests of another version, or with bad patterns, are refused', () => {
  assert.throws(() => checkManifest({ ...manifest, manifestVersion: 2 }), /version 2 is not supported.*version 1/);
  assert.throws(() => checkManifest({ ...manifest, outbound: { values: { x: { setting: 'a', pattern: '(' } } } }), /invalid pattern/);
  const custom = checkManifest({
    manifestVersion: 1,
    provider: 'p',
    outbound: { values: { host: { setting: 'tenant.host', pattern: '[a-z]+', maxLength: 8 } }, origins: ['https://{host}.example.com'] },
  });
  assert.equal(decide(buildPolicy(custom, { tenant: { host: 'acme' } }), 'https', 'acme.example.com').allow, true);
  assert.equal(decide(buildPolicy(custom, { tenant: { host: 'toolongname' } }), 'https', 'toolongname.example.com').allow, false);
});
