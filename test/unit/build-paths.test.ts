// `npm run build:exe` in a checkout whose path has a directory named src (~/src/ocirt): the
// bundler's plugins replace builtins only in ocirt's own sources, and used to recognise them by a
// "/src/" anywhere in the importer's path, which every file of such a checkout has, node_modules'
// too (issue 12 item 6). The esbuild stage of build-exe.mjs runs here on a hard-linked copy of the
// checkout under <tmp>/src/ocirt; Bun's compile step after it does not look at paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = process.cwd();
const ready = existsSync(join(REPO, 'build', 'gen', 'config-validator.mjs')) && existsSync(join(REPO, 'node_modules', 'esbuild'));

test('the executable bundles build in a checkout under a directory named src', {
  skip: ready ? false : 'npm run build first',
}, async () => {
  // inside the repository's build/: the same filesystem, so hard links work
  mkdirSync(join(REPO, 'build'), { recursive: true });
  const tmp = mkdtempSync(join(REPO, 'build', 'srcpath-'));
  try {
    const checkout = join(tmp, 'src', 'ocirt');
    mkdirSync(join(checkout, 'build'), { recursive: true });
    for (const p of ['src', 'scripts', 'node_modules', 'package.json']) execFileSync('cp', ['-al', join(REPO, p), join(checkout, p)]);
    execFileSync('cp', ['-al', join(REPO, 'build', 'gen'), join(checkout, 'build', 'gen')]);

    const { buildCjsBundles } = (await import(pathToFileURL(join(checkout, 'scripts', 'cjs-bundles.mjs')).href)) as {
      buildCjsBundles(o: Record<string, unknown>): Promise<{ outputs: Record<string, { inputs: Record<string, unknown> }> }>;
    };
    const outdir = join(checkout, 'build', 'exe');
    // the options scripts/build-exe.mjs passes
    await buildCjsBundles({
      root: checkout,
      entry: join(checkout, 'src', 'cli', 'exe-entry.ts'),
      entryName: 'ocirt-exe',
      outdir,
      builtinRedirects: {
        'node:fs': join(checkout, 'src', 'sys', 'fs-addon.ts'),
        'node:path': join(checkout, 'src', 'sys', 'path-posix.ts'),
        'node:os': join(checkout, 'src', 'sys', 'os-addon.ts'),
      },
    });
    // ocirt's own modules got the stand-ins: the state command never requires the real node:fs
    const state = readFileSync(join(outdir, 'cmd-state.cjs'), 'utf8');
    assert.doesNotMatch(state, /require\("(node:)?fs"\)/);
    // yargs (node_modules) kept the real builtins it imports
    assert.match(readFileSync(join(outdir, 'yargs-cli.cjs'), 'utf8'), /require\("(node:)?(fs|path)"\)/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
