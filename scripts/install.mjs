// The install step (package.json "install"; npm runs it once the dependencies are in place).
//
//   a checkout (src/ is there): `node-gyp rebuild`, the addon and the test programs, as ever.
//   the npm package: the prebuilt addon of this platform, prebuilds/<platform>-<arch>/ocirt.node
//     (the init stub is embedded in it), is used when it loads here, and nothing is compiled;
//     otherwise, or when asked (`npm install --build-from-source`, or OCIRT_BUILD_FROM_SOURCE=1),
//     `node-gyp rebuild` builds build/Release/ocirt.node (make, a C/C++ compiler and python3;
//     musl-gcc or a static libc for the init stub). npm puts its own node-gyp on PATH for this.
//
// Where npm does not run install scripts (--ignore-scripts, or a policy that asks approval first),
// nothing runs at all and src/native.ts findAddon() takes the prebuilt addon just the same.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'ocirt.node');
const fromSource = ['1', 'true'].includes(process.env.OCIRT_BUILD_FROM_SOURCE ?? '') || process.env.npm_config_build_from_source === 'true';

function whyNotPrebuilt() {
  if (existsSync(join(root, 'src', 'cli'))) return undefined; // a checkout: always built (below)
  if (fromSource) return 'building from source as asked';
  if (!existsSync(prebuilt)) return `no prebuilt addon for ${process.platform}-${process.arch}`;
  try {
    process.dlopen({ exports: {} }, prebuilt);
    return null;
  } catch (err) {
    return `the prebuilt addon ${prebuilt} does not load here (${err.message.split('\n')[0]})`;
  }
}

const why = whyNotPrebuilt();
if (why === null) {
  console.log(`ocirt: using the prebuilt addon ${prebuilt}`);
  process.exit(0);
}
if (why) console.log(`ocirt: ${why}: building the addon with node-gyp`);
const r = spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(`ocirt: cannot run node-gyp: ${r.error.message}`);
  process.exit(1);
}
if (r.status !== 0 && why) console.error(`ocirt: node-gyp failed, and ${why}`);
process.exit(r.status ?? 1);
