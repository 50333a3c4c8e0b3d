import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonSyntaxError, joinPointer, locate, parseLocated, splitPointer } from '../../src/spec/locate.ts';
import { valueAt } from '../../src/spec/validate.ts';

/** Offset in `text` of a 1-based line and a code-point column. */
function offsetOf(text: string, line: number, column: number): number {
  let i = 0;
  for (let l = 1; l < line; l++) i = text.indexOf('\n', i) + 1;
  for (let c = 1; c < column; c++) i += text.codePointAt(i)! > 0xffff ? 2 : 1;
  return i;
}

test('positions round-trip on multi-line documents', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, 2, '\t', '\n ', '\r\n'), (value, indent) => {
      const text = JSON.stringify(value, null, indent);
      const loc = parseLocated(text);
      assert.deepEqual(loc.value, JSON.parse(text));
      for (const [pointer, pos] of loc.positions) {
        const v = valueAt(loc.value, pointer);
        const at = text.slice(offsetOf(text, pos.line, pos.column));
        if (v === null || typeof v !== 'object')
          assert.ok(at.startsWith(JSON.stringify(v)), `${pointer} at ${pos.line}:${pos.column}: ${at.slice(0, 20)}`);
        else assert.equal(at[0], Array.isArray(v) ? '[' : '{', pointer);
      }
    }),
    { numRuns: 300 },
  );
});

test('accepts exactly what JSON.parse accepts', () => {
  const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9a-z.eE+\-\\]{0,16}$/);
  fc.assert(
    fc.property(
      fc.oneof(
        jsonish,
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
      ),
      (text) => {
        let expected: unknown;
        let ok = true;
        try {
          expected = JSON.parse(text);
        } catch {
          ok = false;
        }
        if (ok) assert.deepEqual(parseLocated(text).value, expected);
        else assert.throws(() => parseLocated(text), JsonSyntaxError);
      },
    ),
    { numRuns: 2000 },
  );
});

test('syntax errors carry line and column', () => {
  const cases: [string, number, number][] = [
    ['{\n  "a": 1,\n  "b": tru\n}', 3, 8],
    ['{\n\t"a": [1, 2,]\n}', 2, 13],
    ['{"a": 1}\n x', 2, 2],
    ['{\n  "é": "ü", x\n}', 2, 13],
    ['{\n  "a": "line\nbreak"\n}', 2, 13],
  ];
  for (const [text, line, column] of cases) {
    assert.throws(
      () => parseLocated(text),
      (e: unknown) => e instanceof JsonSyntaxError && e.line === line && e.column === column,
      `${JSON.stringify(text)} -> ${line}:${column}`,
    );
  }
});

test('pointers escape ~ and /, and locate falls back to the parent', () => {
  const loc = parseLocated('{\n "a/b": {"c~d": 1}\n}');
  const p = joinPointer(joinPointer('', 'a/b'), 'c~d');
  assert.equal(p, '/a~1b/c~0d');
  assert.deepEqual(splitPointer(p), ['a/b', 'c~d']);
  assert.deepEqual(loc.positions.get(p), { line: 2, column: 17 });
  assert.deepEqual(locate(loc, '/a~1b/missing'), { line: 2, column: 9 });
  assert.equal(parseLocated('{"__proto__": 1}').value instanceof Object, true);
  assert.deepEqual(Object.keys(parseLocated('{"__proto__": 1}').value as object), ['__proto__']);
});

test('integers beyond 2^53 are kept exact, by pointer (seccomp argument values are uint64)', () => {
  const loc = parseLocated('{"a": [9007199254740991, 9007199254740993, 18446744073709551615, 1.5e300, -9223372036854775809]}');
  assert.deepEqual(
    [...loc.bigIntegers],
    [
      ['/a/1', 9007199254740993n],
      ['/a/2', 18446744073709551615n],
      ['/a/4', -9223372036854775809n],
    ],
  );
  // biome-ignore lint/correctness/noPrecisionLoss: the rounded value is the point
  assert.equal((loc.value as { a: number[] }).a[2], 18446744073709551615, 'the value itself is what JSON.parse gives');
});
