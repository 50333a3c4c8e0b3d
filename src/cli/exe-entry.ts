// Entry of the single executable (`npm run build:exe` -> dist/ocirt-core, compiled by Bun from the
// CommonJS bundle scripts/build-exe.mjs makes of this file). The addon is embedded as a plain asset
// and loaded from a sealed memfd first (src/sys/sealed-addon.ts: nothing is ever written to or
// loaded from /tmp), then installed as the loader src/native.ts and src/sys/'s stand-ins use
// (src/sys/embedded-addon.ts; importing native.ts here would load node:module, node:url and
// node:util for every command). Every command needs it anyway: main.ts leaves with its exitNow.
// The Node entry (dist/ocirt.cjs) finds the addon on disk instead (findAddon()). The commands and
// yargs are separate files of the executable (scripts/cjs-bundles.mjs), required on demand.
import { installEmbeddedAddon } from '../sys/embedded-addon.js';
import { loadSealedAddon } from '../sys/sealed-addon.js';
import { installLightStdio } from './light-stdio.js';

declare const require: (id: string) => unknown;

// Before first use of process.stdout/stderr: see light-stdio.ts.
installLightStdio();
loadSealedAddon().then(
  (addon) => {
    installEmbeddedAddon(() => addon);
    void import('./main.js');
  },
  (err: unknown) => {
    // One line, never a stack trace: without the addon no command can run. Written with the
    // runtime's own node:fs (a require call, which the build leaves alone): light-stdio's writer
    // and the node:fs stand-in both need the addon.
    const why = err instanceof Error ? err.message : String(err);
    (require('node:fs') as typeof import('node:fs')).writeSync(2, `ocirt: cannot load the native addon: ${why}\n`);
    process.exit(1);
  },
);
