// `ocirt spec [--rootless] [-b DIR]`: write a default config.json, never over an existing one.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcirtError, errnoName, sysError } from '../errors.js';
import { spec as defaultSpec } from '../api/ops/spec.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const bundle = typeof args.bundle === 'string' && args.bundle !== '' ? args.bundle : '.';
  const spec = defaultSpec({ rootless: wantsRootless(args, ctx) });
  const path = join(bundle, 'config.json');
  try {
    // "wx": the existence check and the creation are one step, so a concurrent writer cannot be clobbered.
    writeFileSync(path, JSON.stringify(spec, null, '\t') + '\n', { flag: 'wx', mode: 0o644 });
  } catch (err) {
    const code = errnoName(err);
    if (code === 'EEXIST') throw new OcirtError(`${path} already exists: remove it first, or use another bundle directory (-b)`);
    if (code === 'ENOENT') throw new OcirtError(`bundle directory ${bundle} does not exist: create it first`);
    if (code === 'ENOTDIR') throw new OcirtError(`bundle path ${bundle} is not a directory`);
    throw sysError('write', path, err);
  }
  return 0;
}

// The global --rootless (auto|true|false, for cgroup errors) and spec's own boolean --rootless share
// a name; yargs hands the command's flag to main.ts, which files it under the globals.
function wantsRootless(args: CommandArgs, ctx: CommandContext): boolean {
  const own: unknown = args.rootless;
  const global: unknown = ctx.globals.rootless;
  return own === true || own === 'true' || global === true || global === 'true';
}
