// Entry of the single executable (`npm run build:exe` -> dist/ocirt-exe, compiled by Bun from the
// CommonJS bundle scripts/build-exe.mjs makes of this file). The addon is embedded: Bun embeds a
// .node file in the executable when it is required with a static path, so it is named here and
// handed to src/native.ts as a loader through a global (native.ts reads EMBEDDED_LOADER; importing
// native.ts here would load node:module, node:url and node:util for every command). It is still
// loaded only by the commands that need it: Bun extracts and dlopens it on that first require.
// The Node entry (dist/ocirt.cjs) finds the addon on disk instead (findAddon()). The commands and
// yargs are separate files of the executable (scripts/cjs-bundles.mjs), required on demand.
import { installLightStdio, stdioStreamsBuilt } from './light-stdio.js';

declare const require: (id: string) => unknown;

const loadAddon = () => require('../../build/Release/ocirt.node') as { exitNow(code: number): never };
(globalThis as Record<string, unknown>).__ocirtEmbeddedAddon = loadAddon;
// main.ts's last step here: exit_group without Bun's teardown (3-4 ms per command), when all
// output went through light-stdio's synchronous writers. If a real stream was built (yargs' help
// and errors), its writes may be pending: then Bun exits as usual and flushes them.
// BUN_BYTECODE_ORDER_OUT (scripts/build-exe.mjs's profiling run) is written by Bun's own exit.
(globalThis as Record<string, unknown>).__ocirtExit = (code: number) => {
  if (!stdioStreamsBuilt() && !process.env.BUN_BYTECODE_ORDER_OUT) loadAddon().exitNow(code);
};

// Before first use of process.stdout/stderr: see light-stdio.ts.
installLightStdio();
void import('./main.js');
