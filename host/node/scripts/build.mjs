#!/usr/bin/env node
// Builds the package from the component:
//   1. the component: $BEDROCK_PROVIDER_WASM if set, else `cargo build` of the guest (cargo
//      decides whether anything changed);
//   2. jco transpile (pinned devDependency) into dist/component/, skipped when the wasm's
//      SHA-256 matches the last transpile; the generated WIT types go to src/generated/;
//   3. guest/manifest.json beside the component (dist/component/manifest.json);
//   4. tsc twice: ES modules (dist/esm) and CommonJS (dist/cjs).
//
// Nothing here is specific to today's operations: the types and the glue are regenerated from
// whatever WIT the component carries.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '..', '..');
const require = createRequire(import.meta.url);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`build: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status})`);
    process.exit(1);
  }
}

function log(message) {
  if (!process.env.BUILD_QUIET) console.error(`build: ${message}`);
}

// 1. The component.
function componentPath() {
  if (process.env.BEDROCK_PROVIDER_WASM) {
    const p = resolve(process.env.BEDROCK_PROVIDER_WASM);
    if (!existsSync(p)) {
      console.error(`build: BEDROCK_PROVIDER_WASM=${p} does not exist`);
      process.exit(1);
    }
    return p;
  }
  const target = process.env.CARGO_TARGET_DIR
    ? resolve(process.env.CARGO_TARGET_DIR)
    : join(repo, 'target');
  log('cargo build -p bedrock-provider --target wasm32-wasip2 --profile wasm');
  run('cargo', ['build', '-q', '--locked', '-p', 'bedrock-provider', '--target', 'wasm32-wasip2',
    '--profile', 'wasm'], { cwd: repo });
  return join(target, 'wasm32-wasip2', 'wasm', 'bedrock_provider.wasm');
}

const wasm = componentPath();
const bytes = readFileSync(wasm);
const digest = createHash('sha256').update(bytes).digest('hex');

// 2. Transpile (only when the component changed).
const out = join(pkg, 'dist', 'component');
const stamp = join(out, '.component-sha256');
const generated = join(pkg, 'src', 'generated');
const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8') === digest
  && existsSync(join(generated, 'ai-gateway-provider-types.d.ts'));
if (!fresh) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // jco's `exports` hide package.json: find it from node_modules directly.
  const jcoDir = join(pkg, 'node_modules', '@bytecodealliance', 'jco');
  const jcoBin = join(jcoDir, JSON.parse(readFileSync(join(jcoDir, 'package.json'), 'utf8')).bin.jco);
  log(`jco transpile ${wasm}`);
  // --instantiation sync: the worker instantiates a fresh instance per call from modules it
  //   received precompiled; --no-wasi-shim: every import is the host's own (src/wasi.ts);
  // --variants-inline-cases: named case interfaces collide with records in the .d.ts
  //   (`reasoning::text` vs the `reasoning-text` record), inline unions do not.
  run(process.execPath, [jcoBin, 'transpile', wasm, '-o', out, '--name', 'provider',
    '--instantiation', 'sync', '--no-wasi-shim', '--variants-inline-cases', '-q']);
  // The glue is an ES module whatever the package's consumers use.
  writeFileSync(join(out, 'package.json'), '{"type": "module"}\n');
  // The generated WIT types, imported by the TypeScript sources.
  rmSync(generated, { recursive: true, force: true });
  mkdirSync(generated, { recursive: true });
  for (const f of readdirSync(join(out, 'interfaces'))) {
    if (f.startsWith('ai-gateway-provider-')) copyFileSync(join(out, 'interfaces', f), join(generated, f));
  }
  writeFileSync(stamp, digest);
}

// 3. The manifest beside the component.
copyFileSync(join(repo, 'guest', 'manifest.json'), join(out, 'manifest.json'));

// 4. TypeScript, twice.
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
for (const dir of ['esm', 'cjs']) rmSync(join(pkg, 'dist', dir), { recursive: true, force: true });
log('tsc (ES modules)');
run(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.json')]);
log('tsc (CommonJS)');
run(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.cjs.json')]);
writeFileSync(join(pkg, 'dist', 'cjs', 'package.json'), '{"type": "commonjs"}\n');
// The one module that differs: where the package is (import.meta.url has no CommonJS form).
writeFileSync(join(pkg, 'dist', 'cjs', 'locate.js'),
  '"use strict";\n// Written by scripts/build.mjs: the CommonJS twin of src/locate.ts.\n'
  + 'Object.defineProperty(exports, "__esModule", { value: true });\n'
  + 'exports.packageRoot = require("node:path").resolve(__dirname, "..", "..");\n');
// Declarations reference the generated WIT types by a relative path: ship them beside both.
for (const dir of ['esm', 'cjs']) {
  const target = join(pkg, 'dist', dir, 'generated');
  mkdirSync(target, { recursive: true });
  for (const f of readdirSync(generated)) copyFileSync(join(generated, f), join(target, f));
}
log(`done (component ${digest.slice(0, 12)}, ${bytes.length} bytes)`);

// 5. With --emulator (npm test): the emulator binary the tests start, unless one is given.
if (process.argv.includes('--emulator') && !process.env.BEDROCK_EMULATOR_BIN) {
  log('cargo build -p bedrock-emulator --bin bedrock-emulator');
  run('cargo', ['build', '-q', '--locked', '-p', 'bedrock-emulator', '--bin', 'bedrock-emulator'], { cwd: repo });
}
