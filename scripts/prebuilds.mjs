// `npm pack` (prepack / postpack in package.json): the addon goes into the package prebuilt, as
// prebuilds/<platform>-<arch>/ocirt.node, so that installing the package needs no compiler and
// no install script (scripts/install.mjs, src/native.ts findAddon). `make` first brings
// build/Release/ocirt.node up to date with native/ (incrementally; a full `node-gyp rebuild` when
// the checkout was never configured). `--clean` (postpack) removes prebuilds/ again, so that a
// checkout never runs a stale copy: a local build/Release/ocirt.node is preferred anyway.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'prebuilds');
if (process.argv.includes('--clean')) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const gyp = (cmd) => execFileSync('node-gyp', [cmd], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
gyp(existsSync(join(root, 'build', 'Makefile')) ? 'build' : 'rebuild');
const built = join(root, 'build', 'Release', 'ocirt.node');
const out = join(dir, `${process.platform}-${process.arch}`, 'ocirt.node');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
copyFileSync(built, out);
console.log(`${out.slice(root.length + 1)}: ${(statSync(out).size / 1e3).toFixed(0)} kB`);
