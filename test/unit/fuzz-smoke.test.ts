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
