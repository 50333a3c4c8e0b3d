// `npm run build:exe`: dist/ocirt-exe, the form engines should run, and the executable behind it.
//
//   dist/ocirt-core  the TypeScript CLI as one Bun executable (steps 1 and 2 below)
//   dist/ocirt-exe   the native front end (native/front, scripts/build-front.mjs): a small static
//                    program that does the happy path of state/start/kill/delete itself and
//                    exec's ocirt-core (found beside it) for everything else (step 3)
//
//   1. esbuild bundles src/cli/exe-entry.ts into build/exe/ocirt-exe.cjs, the small core (main,
//      the fast-path parser, the command table), plus one CommonJS file per lazily loaded piece
//      (cmd-<command>.cjs, yargs-cli.cjs), required by static paths: scripts/cjs-bundles.mjs.
//      CommonJS because Bun compiles it to bytecode (--bytecode), which roughly halves start-up,
//      and needs no top-level await. build/exe/ is two levels below the repository like src/cli/,
//      so exe-entry's static require('../../build/Release/ocirt.node') still names the addon.
//   2. `bun build --compile --bytecode` turns it into one executable: Bun follows the static
//      requires, so every file is in it as its own module with its own bytecode, evaluated only
//      when required. `state` thus runs the core and cmd-state.cjs (12 kB together), not the
//      300 kB of yargs, validator and plan builder one bundle had. The addon goes in as a plain
//      asset, build/exe/ocirt-addon.bin (an extra entry point: Bun.embeddedFiles at run time), not
//      as a required .node file, which Bun would extract to $TMPDIR and dlopen from there;
//      src/sys/sealed-addon.ts loads it from a sealed memfd. Bun writes its temporary output
//      (.<name>.bun-build) to its working directory: build/exe/.
//
//   3. scripts/build-front.mjs compiles the front end into dist/ocirt-exe. The --version check at
//      the end goes through it (it falls back to the core for --version), so it checks both.
//
// Bun comes from the npm registry (devDependency @oven/bun-linux-x64: the binary, no install
// script); BUN=/path/to/bun overrides.
import { buildCjsBundles, buildCommit, describeOutputs } from './cjs-bundles.mjs';
import { buildFront } from './build-front.mjs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

const outDir = join(root, 'build', 'exe');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const bundle = join(outDir, 'ocirt-exe.cjs');
const addonAsset = join(outDir, 'ocirt-addon.bin');
copyFileSync(addon, addonAsset);
// The same addon is also installed beside the executable, named by its content: dlopen'd from
// there (a file the page cache shares) it costs ~3 ms less per command than the sealed memfd,
// which stays the fallback (src/sys/sealed-addon.ts). The name changes with every different
// build, so a stale file is never loaded by another build.
const besideName = `ocirt-addon-${createHash('sha256').update(readFileSync(addon)).digest('hex').slice(0, 16)}.node`;
const meta = await buildCjsBundles({
  root,
  entry: join(root, 'src', 'cli', 'exe-entry.ts'),
  entryName: 'ocirt-exe',
  outdir: outDir,
  define: { OCIRT_BUILD_COMMIT: JSON.stringify(buildCommit(root)), OCIRT_ADDON_BESIDE: JSON.stringify(besideName) },
  // Bun evaluates these builtins on every start (node:fs ~4.5 ms, node:path ~1.3, node:os ~0.8);
  // src/sys/ has stand-ins on the addon's syscalls (docs/architecture.md "Start-up")
  builtinRedirects: {
    'node:fs': join(root, 'src', 'sys', 'fs-addon.ts'),
    'node:path': join(root, 'src', 'sys', 'path-posix.ts'),
    'node:os': join(root, 'src', 'sys', 'os-addon.ts'),
  },
});
if (process.env.OCIRT_BUILD_VERBOSE) console.log(describeOutputs(meta, root).join('\n'));

const core = join(root, 'dist', 'ocirt-core');
const out = join(root, 'dist', 'ocirt-exe');
mkdirSync(dirname(out), { recursive: true });
const bun = findBun();
// --no-compile-autoload-*: a compiled Bun executable otherwise reads .env and bunfig.toml from
// its working directory at start-up (the engine's cwd: it must not change ocirt's environment).
const bunArgs = [
  'build',
  '--compile',
  '--bytecode',
  '--compile-jit-policy=1000',
  '--format=cjs',
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
];
execFileSync(bun, [...bunArgs, bundle, addonAsset, '--outfile', core], {
  cwd: outDir,
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (const f of readdirSync(dirname(core))) if (/^ocirt-addon-[0-9a-f]+\.node$/.test(f)) rmSync(join(dirname(core), f));
const beside = join(dirname(core), besideName);
copyFileSync(addon, beside);
// read-only: like the executable, nobody rewrites it in place
chmodSync(beside, 0o555);
const cc = buildFront({ root, out });
// Bun reports a failed bytecode generation on stderr but exits 0 and writes a working (slower)
// executable; check what it wrote instead, through the front end (which finds the core beside
// itself: OCIRT_CORE must not point elsewhere here).
const env = { ...process.env, NODE_EXTRA_CA_CERTS: '' };
delete env.OCIRT_CORE;
const version = execFileSync(out, ['--version'], { env }).toString();
if (!/^ocirt version /.test(version)) throw new Error(`${out} --version printed ${JSON.stringify(version)}`);
console.log(`${core}: ${(statSync(core).size / 1e6).toFixed(0)} MB, bun ${execFileSync(bun, ['--version']).toString().trim()}`);
console.log(`${out}: ${(statSync(out).size / 1e3).toFixed(0)} kB, ${cc}`);
