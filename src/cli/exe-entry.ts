// Entry of the single executable (`npm run build:exe` -> dist/ocirt-exe, compiled by Bun from the
// CommonJS bundle scripts/build-exe.mjs makes of this file). The addon is embedded: Bun embeds a
// .node file in the executable when it is required with a static path, so it is named here and
// installed as the loader src/native.ts and src/sys/ use (src/sys/embedded-addon.ts; importing
// native.ts here would load node:module, node:url and node:util for every command). It is still
// loaded only by the commands that need it: Bun extracts and dlopens it on that first require.
// The Node entry (dist/ocirt.cjs) finds the addon on disk instead (findAddon()). The commands and
// yargs are separate files of the executable (scripts/cjs-bundles.mjs), required on demand.
import { installEmbeddedAddon } from '../sys/embedded-addon.js';
import { installLightStdio } from './light-stdio.js';

declare const require: (id: string) => unknown;

installEmbeddedAddon(() => require('../../build/Release/ocirt.node'));

// Before first use of process.stdout/stderr: see light-stdio.ts.
installLightStdio();
void import('./main.js');
