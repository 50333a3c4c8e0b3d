// Schema + semantic validation of a parsed config, turned into problems that say where (JSON
// pointer, line:column), what is wrong, what was expected and what was found. The schema part is
// the standalone validator generated at build time (scripts/build.mjs -> build/gen), so nothing
// here compiles a schema.
import validateSchema, { type SchemaError } from '../../build/gen/config-validator.mjs';
import { JsonSyntaxError, locate, parseLocated, splitPointer, type Located } from './locate.js';
import { checkSemantics } from './semantic.js';
import { unknownKeys } from './unknown-keys.js';

export interface Problem {
  pointer: string;
  line?: number;
  column?: number;
  message: string;
  /**
   * Not an error: the config is run, and the user is told (unknown keys, values other runtimes
   * accept beyond runtime-spec). `validate --strict` treats warnings as errors.
   */
  warning?: boolean;
}

/** Is there a problem that is not a warning? */
export const hasErrors = (problems: readonly Problem[]): boolean => problems.some((p) => !p.warning);

/** Validate a config value; with its source text, problems carry line:column. */
export function validateConfig(value: unknown, text?: string): Problem[] {
  let located: Located | undefined;
  if (text !== undefined) {
    try {
      located = parseLocated(text);
    } catch {
      located = undefined; // the caller's value is authoritative; positions are a bonus
    }
  }
  return validateLocated(value, located);
}

/** Parse and validate config.json text: syntax errors become a single located problem. */
export function validateText(text: string): { value?: unknown; problems: Problem[] } {
  let located: Located;
  try {
    located = parseLocated(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      return { problems: [{ pointer: '', line: err.line, column: err.column, message: `invalid JSON: ${err.message}` }] };
    }
    throw err;
  }
  return { value: located.value, problems: validateLocated(located.value, located) };
}

/** The schema's verdict alone (the official schema's, by construction), without locations. */
export function checkSchema(value: unknown): { pointer: string; message: string }[] {
  return validateSchema(value) ? [] : schemaProblems(value, validateSchema.errors ?? []);
}

export function validateLocated(value: unknown, located?: Located): Problem[] {
  const raw: Problem[] = [...checkSchema(value), ...checkSemantics(value), ...unknownKeys(value).map((u) => ({ ...u, warning: true }))];

  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const r of raw) {
    const key = `${r.pointer}\0${r.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(r);
  }
  return located ? locateProblems(problems, located) : problems;
}

/** Line and column for each problem (of its value, or of the nearest ancestor), in file order. */
export function locateProblems(problems: Problem[], located: Located): Problem[] {
  return sortProblems(
    problems.map((r) => {
      const pos = locate(located, r.pointer);
      return pos ? { ...r, line: pos.line, column: pos.column } : r;
    }),
  );
}

/** File order reads best: the user fixes from the top down. Stable for equal positions. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

// ---- ajv errors -> sentences ----------------------------------------------------------------

export function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const token of splitPointer(pointer)) {
    if (Array.isArray(v)) v = v[Number(token)];
    else if (typeof v === 'object' && v !== null && Object.hasOwn(v, token)) v = (v as Record<string, unknown>)[token];
    else return undefined;
  }
  return v;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  switch (typeof v) {
    case 'string': {
      const s = JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
      return `string ${s}`;
    }
    case 'number':
      return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
    case 'boolean':
      return `boolean ${v}`;
    case 'object':
      return 'an object';
    default:
      return String(v);
  }
}

const RANGE_NAMES: [number, number, string][] = [
  [0, 255, 'uint8'],
  [0, 511, 'file mode (decimal: 0o755 is 493)'],
  [0, 65535, 'uint16'],
  [0, 4294967295, 'uint32'],
  // biome-ignore lint/correctness/noPrecisionLoss: the schema's bounds, rounded as JSON.parse rounds them
  [0, 18446744073709551615, 'uint64'],
  [-2147483648, 2147483647, 'int32'],
  // biome-ignore lint/correctness/noPrecisionLoss: the schema's bounds, rounded as JSON.parse rounds them
  [-9223372036854775808, 9223372036854775807, 'int64'],
];

function rangeText(keyword: string, limit: number): string {
  const r = RANGE_NAMES.find(([min, max]) => (keyword === 'maximum' ? max === limit : min === limit && limit !== 0));
  if (r) return `expected ${r[2]}, ${r[0]}..${r[1]}`;
  if (keyword === 'minimum')
    return limit === 0 ? 'expected a value >= 0 (negative numbers are not allowed here)' : `expected a value >= ${limit}`;
  return `expected a value <= ${limit}`;
}

const PATTERN_HINTS: Record<string, string> = {
  '^RLIMIT_[A-Z]+$': 'an rlimit name such as "RLIMIT_NOFILE"',
  '^[1-9][0-9]*[KMG]B$': 'a page size such as "2MB" or "1GB"',
  '^[cbup]$': '"c" (character), "b" (block), "u" (unbuffered character) or "p" (FIFO)',
  '^[0-9, -]*$': 'a CPU list such as "0-3,7"',
  '^MB:[^\\n]*$': 'a memory bandwidth schema starting with "MB:"',
};

function schemaProblems(doc: unknown, errors: SchemaError[]): { pointer: string; message: string }[] {
  // A value of the wrong type also fails its enum/pattern/range keywords; the type error says it all.
  const typeFailed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const out: { pointer: string; message: string }[] = [];
  for (const e of errors) {
    if (e.keyword !== 'type' && typeFailed.has(e.instancePath)) continue;
    const found = describeValue(valueAt(doc, e.instancePath));
    const p = e.params;
    let message: string;
    switch (e.keyword) {
      case 'required':
        message = `missing required property ${JSON.stringify(String(p.missingProperty))}: add it`;
        break;
      case 'type': {
        const t = String(p.type);
        message = `expected ${t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : `a ${t}`}, found ${found}`;
        break;
      }
      case 'enum': {
        const allowed = Array.isArray(p.allowedValues) ? p.allowedValues.map((v) => String(v)) : [];
        message = `${found} is not allowed: expected one of ${allowed.join(', ')}`;
        break;
      }
      case 'pattern': {
        const pat = String(p.pattern);
        message = `${found} does not match ${pat}: expected ${PATTERN_HINTS[pat] ?? `a string matching ${pat}`}`;
        break;
      }
      case 'minimum':
      case 'maximum':
        message = `${found} is out of range: ${rangeText(e.keyword, Number(p.limit))}`;
        break;
      case 'minItems':
        message = `expected at least ${String(p.limit)} item(s), found ${found}`;
        break;
      default:
        message = `${e.message ?? e.keyword} (found ${found})`;
    }
    out.push({ pointer: e.instancePath, message });
  }
  return out;
}
