import { create } from '../api/ops/create.js';
import * as native from '../native.js';
import { createFlags, runtimeOf } from './args.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(args: CommandArgs, ctx: CommandContext): number {
  const { id, bundle, options } = createFlags(args);
  native.closeFd(create(runtimeOf(ctx), id, bundle, options).pidfd);
  return 0;
}
