// The fuzzer's validate target (test/fuzz/fuzz.ts, npm run fuzz) on a fixed seed, in npm test:
// config.json text that is no object at all, then a few hundred mutated and damaged configs, each
// a located problem or a plan. What the fuzzer found stays found here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configText } from '../fuzz/generators.ts';
import { validateAndPlan } from '../fuzz/checks.ts';
import { makeBundle } from '../helpers/containers.ts';

test('fuzz smoke: config.json that is not an object is a located problem', () => {
  const b = makeBundle();
  try {
    // null crashed the bundle check (TypeError reading root of null: the CLI said only that)
    for (const text of ['null', '5', '"x"', '[]', 'true', '{"root": null}', '{"root": 5, "process": null}']) {
      assert.deepEqual(validateAndPlan(b.dir, text), { kind: 'invalid' }, text);
    }
  } finally {
    b.cleanup();
  }
});

test('fuzz smoke: a NUL byte in a string the kernel gets is a located problem, in annotations none', () => {
  // a mount source with one passed validation and the planner, then the plan's encoder refused it:
  // 'ocirt: encodePlan: mounts[3].source: contains a NUL byte' (fuzz seed 20261130, batch 533)
  const b = makeBundle();
  try {
    const config = JSON.parse(JSON.stringify(b.config));
    config.mounts[0].source = 'pr\u0000oc';
    assert.deepEqual(validateAndPlan(b.dir, JSON.stringify(config)), { kind: 'invalid' });
    const keyed = JSON.parse(JSON.stringify(b.config));
    keyed.linux.sysctl = { 'kernel.shm\u0000max': '1' };
    assert.deepEqual(validateAndPlan(b.dir, JSON.stringify(keyed)), { kind: 'invalid' });
    const annotated = JSON.parse(JSON.stringify(b.config));
    annotated.annotations = { 'a\u0000': 'b\u0000' };
    assert.deepEqual(validateAndPlan(b.dir, JSON.stringify(annotated)), { kind: 'planned' });
  } finally {
    b.cleanup();
  }
});

test('fuzz smoke: 400 mutated configs (seed 12), each a located problem or a plan', () => {
  const b = makeBundle();
  try {
    const found: string[] = [];
    for (const text of fc.sample(configText, { seed: 12, numRuns: 400 })) {
      const v = validateAndPlan(b.dir, text);
      if (v.kind === 'finding') found.push(`${v.message}\n  ${text.slice(0, 200)}`);
    }
    assert.deepEqual(found, []);
  } finally {
    b.cleanup();
  }
});
