// Build pipeline: schema -> standalone validator, then the CLI bundle and the test bundles.
// Validators are compiled here, once, so that no ocirt invocation pays for schema compilation.
import { build } from 'esbuild';
import { buildCjsBundles, buildCommit, describeOutputs } from './cjs-bundles.mjs';
import { mkdirSync, readdirSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gen = join(root, 'build', 'gen');
mkdirSync(gen, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  logLevel: 'warning',
  // The .node addon is loaded at run time through createRequire (src/native.ts).
  external: ['*.node'],
  banner: {
    js: "import { createRequire as __ocirtCreateRequire } from 'node:module'; const require = __ocirtCreateRequire(import.meta.url);",
  },
};

// 1. Generate the standalone validators (src/spec/gen-validators.ts writes into build/gen).
const genScript = join(root, 'src', 'spec', 'gen-validators.ts');
if (existsSync(genScript)) {
  const out = join(root, 'build', 'tools', 'gen-validators.mjs');
  await build({ ...common, entryPoints: [genScript], outfile: out, external: [] });
  const mod = await import(pathToFileURL(out).href);
  await mod.main(gen);
}

// 2. The CLI: dist/ocirt.cjs (main, the fast-path parser, the command table) and one CommonJS
// file per lazily loaded piece (dist/cmd-<command>.cjs, dist/yargs-cli.cjs); see
// scripts/cjs-bundles.mjs. CommonJS rather than ESM: Node's CommonJS loader starts a command
// about 15 ms sooner than the ESM loader with chunks did (bin/ocirt state: 68 vs 84 ms here).
rmSync(join(root, 'dist'), { recursive: true, force: true });
const cliMeta = await buildCjsBundles({
  root,
  entry: join(root, 'src', 'cli', 'main.ts'),
  entryName: 'ocirt',
  outdir: join(root, 'dist'),
  minify: 'syntax',
  define: { OCIRT_BUILD_COMMIT: JSON.stringify(buildCommit(root)) },
});
// what each file pulls in (OCIRT_BUILD_VERBOSE=1), e.g. to check that cmd-state.cjs stays small
if (process.env.OCIRT_BUILD_VERBOSE) console.log(describeOutputs(cliMeta, root).join('\n'));

// 3. The API (`import { Runtime } from 'ocirt'`, package.json "exports"): ESM, one chunk per
// operation (src/api/runtime.ts imports each on first use). Its .d.ts (types/) come from `npm run
// build:types` (tsc is slow: run when packing, not on every build).
await build({
  ...common,
  entryPoints: { index: join(root, 'src', 'api', 'index.ts') },
  outdir: join(root, 'dist', 'api'),
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  define: { OCIRT_BUILD_COMMIT: JSON.stringify(buildCommit(root)) },
});

// 4. Tests: each test/**/*.test.ts becomes build/test/**/*.test.mjs for `node --test`.
const tests = [];
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (e.endsWith('.test.ts')) tests.push(p);
  }
};
if (existsSync(join(root, 'test'))) walk(join(root, 'test'));
if (tests.length) {
  await build({
    ...common,
    entryPoints: tests,
    outdir: join(root, 'build', 'test'),
    outbase: join(root, 'test'),
    outExtension: { '.js': '.mjs' },
    external: ['*.node', 'fast-check'],
    define: { OCIRT_BUILD_COMMIT: '"test"' },
  });
}
// 4. The fuzzer (npm run fuzz): build/fuzz/fuzz.mjs, outside build/test/, where `node --test`
// would run every .mjs file.
const fuzzer = join(root, 'test', 'fuzz', 'fuzz.ts');
if (existsSync(fuzzer)) {
  await build({
    ...common,
    entryPoints: [fuzzer],
    outdir: join(root, 'build', 'fuzz'),
    outExtension: { '.js': '.mjs' },
    external: ['*.node', 'fast-check'],
    define: { OCIRT_BUILD_COMMIT: '"fuzz"' },
  });
}
writeFileSync(join(root, 'build', 'BUILD_INFO'), `built ${tests.length} test files\n`);
