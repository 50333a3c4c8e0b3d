// What the fuzzer (test/fuzz/fuzz.ts) and its smoke test (test/unit/fuzz-smoke.test.ts) hold every
// input to: a located error or a plan (in-process), a clean one-line error or a working container
// (the CLI). A finding is anything else: an exception of the wrong kind, a stack trace, a signal.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBundle } from '../../src/spec/bundle.ts';
import { buildPlan, type HostFacts } from '../../src/linux/plan-builder.ts';
import { encodePlan } from '../../src/linux/encode.ts';
import { hostFacts } from '../../src/linux/host.ts';
import { ConfigError, OcirtError } from '../../src/errors.ts';

/** The outcome of one in-process case. */
export type Verdict =
  | { kind: 'invalid' } // validation named every problem with its JSON pointer
  | { kind: 'refused' } // the planner refused it with a ConfigError (a JSON pointer)
  | { kind: 'unlocated'; message: string } // an OcirtError without a place in config.json
  | { kind: 'planned' } // a plan, encoded
  | { kind: 'finding'; message: string };

let host: HostFacts | undefined;

/**
 * config.json text through what `validate` and `create` do before the clone: the bundle check
 * (JSON, schema, semantics), the planner, the plan's encoding. Writes `text` into `bundleDir`.
 */
export function validateAndPlan(bundleDir: string, text: string): Verdict {
  writeFileSync(join(bundleDir, 'config.json'), text);
  let check: ReturnType<typeof checkBundle>;
  try {
    check = checkBundle(bundleDir);
  } catch (err) {
    return { kind: 'finding', message: `checkBundle threw: ${describe(err)}` };
  }
  if (check.problems.length > 0) {
    const bad = check.problems.find((p) => typeof p.pointer !== 'string' || (p.pointer !== '' && !p.pointer.startsWith('/')) || !p.message);
    return bad ? { kind: 'finding', message: `a problem without a place or a message: ${JSON.stringify(bad)}` } : { kind: 'invalid' };
  }
  if (!check.config || !check.rootfs) return { kind: 'finding', message: 'no problem, and no config or rootfs' };
  host ??= hostFacts({});
  try {
    const plan = buildPlan(
      check.config,
      check.rootfs,
      { bundle: bundleDir, noPivot: false, noNewKeyring: false, preserveFds: 0, warn: () => {} },
      host,
    );
    encodePlan(plan);
    return { kind: 'planned' };
  } catch (err) {
    if (err instanceof ConfigError)
      return err.pointer === '' || err.pointer.startsWith('/')
        ? { kind: 'refused' }
        : { kind: 'finding', message: `ConfigError without a pointer: ${err.message}` };
    if (err instanceof OcirtError) return { kind: 'unlocated', message: err.message };
    return { kind: 'finding', message: `the planner threw: ${describe(err)}` };
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n')}` : String(err);
}

/** What a command's stderr and status may never show, whatever its input. */
export function crashSigns(
  r: { status: number | null; signal?: NodeJS.Signals | null; stderr: string },
  oneLine = true,
): string | undefined {
  if (r.status === null) return `no exit status (signal ${r.signal ?? '?'}: killed, or hung until the timeout)`;
  if (/^\s+at .+[(:]\d+/m.test(r.stderr)) return 'a stack trace';
  if (/\b(TypeError|ReferenceError|RangeError|SyntaxError|AssertionError|Segmentation fault|Aborted|core dumped|panic)\b/.test(r.stderr))
    return 'a crash';
  if (/internal error/i.test(r.stderr)) return 'an internal error';
  if (oneLine && r.status !== 0 && !r.stderr.split('\n').some((l) => l.startsWith('ocirt: ')))
    return `exit status ${r.status} without an 'ocirt: ' line`;
  return undefined;
}
