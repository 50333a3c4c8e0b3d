// The CLI as a set of CommonJS files, one per lazily loaded piece, for both forms:
//
//   <entry>.cjs        the core: main.ts, fastpath.ts, commands.ts (the table), log, errors;
//                      nothing else. `--version`, parsing and dispatch run from this file alone.
//   cmd-<name>.cjs     one per command module (src/cli/<name>.ts) with everything it imports:
//                      cmd-state.cjs is the state store and status code only, cmd-create.cjs and
//                      cmd-run.cjs carry the validator, the plan builder and the launch code.
//   yargs-cli.cjs      yargs and the full CLI (help, errors, unusual argv).
//
// commands.ts's `import('./state.js')` and main.ts's `import('./yargs-cli.js')` are turned into
// `require('./cmd-state.cjs')` / `require('./yargs-cli.cjs')` (external, and dynamic import is
// lowered to require): Node loads only the files a command needs, through the CommonJS loader (no
// ESM loader on the path); Bun (scripts/build-exe.mjs) bundles the same static requires into the
// executable as separate lazily evaluated modules, each compiled to bytecode, so a module that is
// never required costs next to nothing at start-up.
//
// Shared modules (errors.ts, native.ts, the state store...) are copied into each file that needs
// them; main.ts matches errors by name, and native.ts keeps the embedded-addon loader in a global.
import { build } from 'esbuild';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

/** The command modules commands.ts's table loads (each exports run()): its `import('./<name>.js')`s. */
const COMMANDS = [
  ...readFileSync(fileURLToPath(new URL('../src/cli/commands.ts', import.meta.url)), 'utf8').matchAll(/import\('\.\/([a-z-]+)\.js'\)/g),
].map((m) => m[1]);

/**
 * Builtins that src/ imports at module level but uses only on some paths, and that cost start-up
 * time when loaded: node:child_process (launch.ts, only for newuidmap/newgidmap: about 8 ms under
 * Node, 4 ms under Bun, where it also pulls node:net and node:stream), node:module, node:url and
 * node:util (native.ts: the addon lookup off the executable and errnoName; about 5 ms under Bun),
 * node:tty (the terminal relay). Each is replaced by a stand-in whose exports require() the real
 * module on first call. A name not listed here fails the build (no such export).
 */
const LAZY_BUILTINS = {
  'node:child_process': { functions: ['execFileSync', 'spawnSync'] },
  'node:module': { functions: ['createRequire'] },
  'node:url': { functions: ['fileURLToPath'] },
  'node:util': { functions: ['getSystemErrorName'] },
  'node:tty': { classes: ['ReadStream'] },
};

/**
 * Whether an importer is one of ocirt's own sources (<root>/src/...), whose module-level builtin
 * imports the plugins below replace. By the path under the checkout, not by a "/src/" anywhere in
 * it: in a checkout such as ~/src/ocirt every file, node_modules' too, has one. esbuild names
 * importers by their real path, hence realpathSync.
 */
const ownSources = (root) => {
  const prefix = realpathSync(join(root, 'src')) + '/';
  return (importer) => importer.startsWith(prefix);
};

const lazyBuiltins = (isOwn) => ({
  name: 'ocirt-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(child_process|module|url|util|tty)$/ }, (a) => {
      if (a.kind !== 'import-statement' || a.namespace !== 'file' || !isOwn(a.importer)) return undefined;
      return { path: a.path, namespace: 'ocirt-lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'ocirt-lazy-builtin' }, (a) => {
      const { functions = [], classes = [] } = LAZY_BUILTINS[a.path];
      const lines = [`let m; const load = () => (m ??= require(${JSON.stringify(a.path)}));`];
      for (const f of functions) lines.push(`export function ${f}(...args) { return load().${f}(...args); }`);
      // called with `new`: the object returned from the constructor is the result
      for (const c of classes) lines.push(`export function ${c}(...args) { return new (load().${c})(...args); }`);
      return { contents: lines.join('\n'), loader: 'js', resolveDir: a.path };
    });
  },
});

/**
 * Builds <outdir>/<entryName>.cjs from `entry` plus cmd-*.cjs and yargs-cli.cjs. Returns the
 * esbuild metafile (inputs per output file).
 */
export async function buildCjsBundles({ root, entry, entryName, outdir, define = {}, minify = true, builtinRedirects = {} }) {
  const cli = join(root, 'src', 'cli');
  const isOwn = ownSources(root);
  const commands = COMMANDS;
  const lazyFile = (spec, importer) => {
    if (!importer.startsWith(cli + '/')) return undefined;
    const m = /^\.\/([\w-]+)\.js$/.exec(spec);
    if (!m) return undefined;
    if (m[1] === 'yargs-cli') return './yargs-cli.cjs';
    // only the dynamic imports in the table (commands.ts); a static import of e.g. ./args.js stays
    if (commands.includes(m[1]) && importer === join(cli, 'commands.ts')) return `./cmd-${m[1]}.cjs`;
    return undefined;
  };
  const lazy = {
    name: 'ocirt-lazy',
    setup(b) {
      b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (a) => {
        if (a.kind !== 'dynamic-import') return undefined;
        const path = lazyFile(a.path, a.importer);
        return path ? { path, external: true } : undefined;
      });
    },
  };
  // The executable's node:fs, node:path and node:os: stand-ins in src/sys/ (see there), given as
  // { 'node:fs': file, ... }. Their own lazy require of a real module (fs-addon's streams) is a
  // require-call and stays as it is.
  const redirect = {
    name: 'ocirt-builtin-redirect',
    setup(b) {
      const targets = Object.values(builtinRedirects);
      b.onResolve({ filter: /^(node:)?(fs|path|os)$/ }, (a) => {
        const to = builtinRedirects[a.path.startsWith('node:') ? a.path : `node:${a.path}`];
        if (!to || a.kind !== 'import-statement' || !isOwn(a.importer) || targets.includes(a.importer)) return undefined;
        return { path: to };
      });
    },
  };
  const entryPoints = { [entryName]: entry, 'yargs-cli': join(cli, 'yargs-cli.ts') };
  for (const c of commands) entryPoints[`cmd-${c}`] = join(cli, `${c}.ts`);
  const r = await build({
    entryPoints,
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // import() -> Promise.resolve().then(() => require()): the CommonJS loader only, and a static
    // require Bun can bundle
    supported: { 'dynamic-import': false },
    // true for the executable; 'syntax' keeps names and lines readable in stack traces
    ...(minify === 'syntax' ? { minifySyntax: true } : { minify }),
    // bun:ffi: the executable's addon loader (src/sys/sealed-addon.ts), a Bun builtin
    external: ['*.node', 'bun:ffi'],
    plugins: [lazy, lazyBuiltins(isOwn), redirect],
    metafile: true,
    logLevel: 'warning',
    // import.meta.resolve (yargs' config `extends`, unused by ocirt) stays unavailable
    logOverride: { 'empty-import-meta': 'silent' },
    define: { 'import.meta.url': '__ocirtImportMetaUrl', ...define },
    banner: { js: 'var __ocirtImportMetaUrl = "file://" + encodeURI(__filename).replace(/[?#]/g, encodeURIComponent);' },
  });
  return r.metafile;
}

/** "file: N kB (inputs...)" lines of a metafile, for checking what a command's file pulls in. */
export function describeOutputs(metafile, root) {
  const lines = [];
  for (const [file, o] of Object.entries(metafile.outputs)) {
    const ins = Object.keys(o.inputs).map((p) => p.replace(/^.*node_modules\/([^/]+)\/.*$/, 'npm:$1'));
    const uniq = [...new Set(ins)];
    lines.push(`${file.replace(root + '/', '')}: ${(o.bytes / 1024).toFixed(1)} kB: ${uniq.join(' ')}`);
  }
  return lines;
}

/** The commit `ocirt --version` reports: $OCIRT_COMMIT, else the checkout's HEAD. */
export function buildCommit(root) {
  if (process.env.OCIRT_COMMIT) return process.env.OCIRT_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}
