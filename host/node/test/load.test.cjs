// The package loads from CommonJS (require) and from ES modules (import), with the same API.
const { test } = require('node:test');
const assert = require('node:assert/strict');

test('require() and import() both load the package', async () => {
  const cjs = require('@ai-gateway/bedrock');
  const esm = await import('@ai-gateway/bedrock');
  for (const mod of [cjs, esm]) {
    assert.equal(typeof mod.openProvider, 'function');
    assert.equal(typeof mod.createBedrockProvider, 'function');
    assert.equal(typeof mod.ProviderError, 'function');
  }
  const e = new cjs.ProviderError({ kind: 'timeout', message: 'm', retryable: true, field: 'timeouts.totalMs' });
  assert.ok(e instanceof Error);
  assert.equal(e.kind, 'timeout');
  assert.equal(e.field, 'timeouts.totalMs');
});

test('a provider opened from CommonJS runs a call', async () => {
  const { openProvider } = require('@ai-gateway/bedrock');
  const provider = openProvider({ region: 'us-east-1' }, { maxWorkers: 1 });
  try {
    const schema = await provider.settingsSchema();
    assert.equal(schema.properties.secretAccessKey.writeOnly, true);
    const e = await provider.generate({ messages: [], settings: { stopSequences: [] }, tools: [] }).catch((x) => x);
    assert.equal(e.kind, 'invalid-settings');
    assert.equal(e.name, 'ProviderError');
  } finally {
    await provider.close();
  }
});
