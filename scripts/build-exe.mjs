// `npm run build:exe`: the single executable dist/ocirt-exe, the form engines should run.
//
//   1. esbuild bundles src/cli/exe-entry.ts (main.ts and every command, no splitting) into one
//      CommonJS file, build/exe/ocirt-exe.cjs: Bun compiles CommonJS to bytecode (--bytecode),
//      which roughly halves its start-up, and needs no top-level await. import.meta.url is
//      replaced by a file: URL of __filename (yargs and src/native.ts use it).
//      build/exe/ is two levels below the repository like src/cli/, so exe-entry's static
//      require('../../build/Release/ocirt.node') still names the addon.
//   2. `bun build --compile --bytecode` turns it into one executable with the addon embedded.
//
// Bun comes from the npm registry (devDependency @oven/bun-linux-x64: the binary, no install
// script); BUN=/path/to/bun overrides.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'ocirt.node');
if (!existsSync(addon)) throw new Error(`${addon} missing: run \`npm run build:native\` first`);
if (!existsSync(join(root, 'build', 'gen', 'config-validator.mjs'))) {
  throw new Error('build/gen missing: run `npm run build` first (it generates the validators)');
}

function findBun() {
  if (process.env.BUN) return process.env.BUN;
  try {
    const pkg = createRequire(join(root, 'package.json')).resolve('@oven/bun-linux-x64/package.json');
    const p = join(dirname(pkg), 'bin', 'bun');
    if (existsSync(p)) return p;
  } catch {
    // not installed (npm ci --omit=dev)
  }
  throw new Error('bun not found: `npm install` (devDependency @oven/bun-linux-x64) or set BUN=/path/to/bun');
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

const outDir = join(root, 'build', 'exe');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const bundle = join(outDir, 'ocirt-exe.cjs');
await build({
  entryPoints: [join(root, 'src', 'cli', 'exe-entry.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  external: ['*.node'],
  logLevel: 'warning',
  // import.meta.resolve (yargs' config `extends`, unused by ocirt) stays unavailable
  logOverride: { 'empty-import-meta': 'silent' },
  define: {
    'import.meta.url': '__ocirtImportMetaUrl',
    OCIRT_BUILD_COMMIT: JSON.stringify(process.env.OCIRT_COMMIT ?? gitCommit()),
  },
  banner: { js: 'var __ocirtImportMetaUrl = "file://" + encodeURI(__filename).replace(/[?#]/g, encodeURIComponent);' },
});

const out = join(root, 'dist', 'ocirt-exe');
mkdirSync(dirname(out), { recursive: true });
const bun = findBun();
execFileSync(bun, ['build', '--compile', '--bytecode', '--format=cjs', bundle, '--outfile', out], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
// Bun reports a failed bytecode generation on stderr but exits 0 and writes a working (slower)
// executable; check what it wrote instead.
const version = execFileSync(out, ['--version'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } }).toString();
if (!/^ocirt version /.test(version)) throw new Error(`${out} --version printed ${JSON.stringify(version)}`);
console.log(`${out}: ${(statSync(out).size / 1e6).toFixed(0)} MB, bun ${execFileSync(bun, ['--version']).toString().trim()}`);
