// The hooks the init stub takes part in (createContainer and startContainer it runs itself; for
// prestart and createRuntime it stops after its mounts until the runtime has run them), as plan
// data and as the plan's optional HOOKS section (native/init/hooks.c decodes it).
import type { Hook, Hooks } from '../spec/types.js';
import type { Writer } from './encode.js';
import type { HookStep, InitHooks, LaunchPlan } from './plan.js';

/** The state JSON the init hands its hooks, around the pid it fills in. */
export interface HookStateTemplate {
  prefix: string;
  suffix: string;
}

export function planInitHooks(hooks: Hooks | undefined, state: HookStateTemplate): InitHooks | undefined {
  const steps = (kind: 'createContainer' | 'startContainer'): HookStep[] =>
    (hooks?.[kind] ?? []).map(
      (h: Hook, i): HookStep => ({
        field: `/hooks/${kind}/${i}`,
        path: h.path,
        args: h.args?.length ? h.args : [h.path],
        env: h.env ?? [],
        timeout: h.timeout ?? 0,
      }),
    );
  const createContainer = steps('createContainer');
  const startContainer = steps('startContainer');
  const pauseForRuntimeHooks = (hooks?.prestart?.length ?? 0) + (hooks?.createRuntime?.length ?? 0) > 0;
  if (!pauseForRuntimeHooks && !createContainer.length && !startContainer.length) return undefined;
  return { pauseForRuntimeHooks, statePrefix: state.prefix, stateSuffix: state.suffix, createContainer, startContainer };
}

/**
 * Section HOOKS: u32 pauseForRuntimeHooks, str statePrefix, str stateSuffix, then two lists
 * (createContainer, startContainer) of: str path, list<str> args, list<str> env, u32 timeout.
 */
export function encodeHooksSection(plan: LaunchPlan, w: Writer): boolean {
  const h = plan.hooks;
  if (!h) return false;
  w.u32(h.pauseForRuntimeHooks ? 1 : 0, 'hooks.pauseForRuntimeHooks');
  w.str(h.statePrefix, 'hooks.statePrefix');
  w.str(h.stateSuffix, 'hooks.stateSuffix');
  for (const [name, list] of [
    ['createContainer', h.createContainer],
    ['startContainer', h.startContainer],
  ] as const) {
    w.list(list, `hooks.${name}`, (s, at) => {
      w.str(s.path, `${at}.path`);
      w.list(s.args, `${at}.args`, (a, x) => w.str(a, x));
      w.list(s.env, `${at}.env`, (e, x) => w.str(e, x));
      w.u32(s.timeout, `${at}.timeout`);
    });
  }
  return true;
}
