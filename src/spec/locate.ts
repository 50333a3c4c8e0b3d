// A JSON parser that remembers where every value came from. JSON.parse gives no positions, and an
// error that says "/process/args/0" without a line number leaves the user counting braces. The
// grammar is RFC 8259 exactly (same acceptance as JSON.parse), so the value is the one JSON.parse
// would return.

export interface Position {
  /** 1-based line */
  line: number;
  /** 1-based column, counted in Unicode code points */
  column: number;
}

export interface Located {
  value: unknown;
  /** JSON pointer (RFC 6901) -> position of the value's first character */
  positions: Map<string, Position>;
  /** JSON pointer of an object member -> position of its key */
  keys: Map<string, Position>;
  /** integers JSON.parse rounds (beyond 2^53), exact, by JSON pointer: seccomp's uint64 values */
  bigIntegers: Map<string, bigint>;
}

export class JsonSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, pos: Position) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.line = pos.line;
    this.column = pos.column;
  }
}

/** Escape one reference token of a JSON pointer. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(parent: string, token: string | number): string {
  return `${parent}/${typeof token === 'number' ? token : escapePointerToken(token)}`;
}

/** The reference tokens of a pointer, unescaped. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function parentPointer(pointer: string): string {
  const i = pointer.lastIndexOf('/');
  return i <= 0 ? '' : pointer.slice(0, i);
}

const MAX_DEPTH = 512;

class Parser {
  private i = 0;
  private line = 1;
  /** index of the first character of the current line */
  private lineStart = 0;
  readonly positions = new Map<string, Position>();
  readonly keys = new Map<string, Position>();
  readonly bigIntegers = new Map<string, bigint>();

  constructor(private readonly text: string) {}

  parse(): unknown {
    this.skipWhitespace();
    const value = this.value('', 0);
    this.skipWhitespace();
    if (this.i < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
    return value;
  }

  // Positions are asked for in increasing order: counting resumes where the last count stopped,
  // so a long single-line (minified) document stays linear.
  private countedTo = 0;
  private countedColumn = 1;

  position(): Position {
    if (this.countedTo < this.lineStart) {
      this.countedTo = this.lineStart;
      this.countedColumn = 1;
    }
    // Columns count code points so that they match what an editor shows for non-ASCII text.
    for (let k = this.countedTo; k < this.i; k++) {
      const c = this.text.charCodeAt(k);
      if (c < 0xdc00 || c > 0xdfff) this.countedColumn++;
    }
    this.countedTo = this.i;
    return { line: this.line, column: this.countedColumn };
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.position());
  }

  private describeHere(): string {
    if (this.i >= this.text.length) return 'end of file';
    const c = this.text.codePointAt(this.i) ?? 0;
    return c < 0x20 ? `control character U+${c.toString(16).padStart(4, '0')}` : `character ${JSON.stringify(String.fromCodePoint(c))}`;
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 0x0a) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d) {
        this.i++;
      } else {
        break;
      }
    }
  }

  private value(pointer: string, depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.positions.set(pointer, this.position());
    const c = this.text[this.i];
    switch (c) {
      case '{':
        return this.object(pointer, depth);
      case '[':
        return this.array(pointer, depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(pointer);
        if (c === '\uFEFF') this.fail('byte order mark at the start of the file: save it as UTF-8 without BOM');
        return this.fail(`expected a JSON value, found ${this.describeHere()}`);
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail(`expected a JSON value, found ${this.describeHere()}`);
    this.i += word.length;
    return value;
  }

  private number(pointer: string): number {
    const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.text);
    if (!m) this.fail(`malformed number: expected a digit after "-"`);
    const end = this.i + m[0].length;
    const next = this.text[end];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) {
      this.i = end;
      this.fail(`malformed number: unexpected ${this.describeHere()}`);
    }
    this.i = end;
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n) && /^-?[0-9]+$/.test(m[0])) this.bigIntegers.set(pointer, BigInt(m[0]));
    return n;
  }

  private string(): string {
    const t = this.text;
    this.i++; // opening quote
    let out = '';
    let chunk = this.i;
    for (;;) {
      if (this.i >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.i);
      if (c === 0x22) {
        out += t.slice(chunk, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail(`${this.describeHere()} inside a string: write it as an escape (\\n, \\t, \\u00XX)`);
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += t.slice(chunk, this.i);
      const e = t[this.i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        this.i += 2;
      } else if (e === 'u') {
        const hex = t.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape: expected four hex digits');
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 6;
      } else {
        this.fail(`invalid escape "\\${e ?? ''}" in a string`);
      }
      chunk = this.i;
    }
  }

  private array(pointer: string, depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      out.push(this.value(joinPointer(pointer, out.length), depth + 1));
      this.skipWhitespace();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        this.skipWhitespace();
        if (this.text[this.i] === ']') this.fail('trailing comma before "]": remove it');
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      this.fail(`expected "," or "]" in an array, found ${this.describeHere()}`);
    }
  }

  private object(pointer: string, depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.i] !== '"') {
        if (this.text[this.i] === '}') this.fail('trailing comma before "}": remove it');
        this.fail(`expected a property name in double quotes, found ${this.describeHere()}`);
      }
      const keyPos = this.position();
      const key = this.string();
      const member = joinPointer(pointer, key);
      this.keys.set(member, keyPos);
      this.skipWhitespace();
      if (this.text[this.i] !== ':') this.fail(`expected ":" after property name ${JSON.stringify(key)}, found ${this.describeHere()}`);
      this.i++;
      this.skipWhitespace();
      // defineProperty, because assigning "__proto__" would set the prototype instead of a member.
      Object.defineProperty(out, key, { value: this.value(member, depth + 1), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      this.fail(`expected "," or "}" in an object, found ${this.describeHere()}`);
    }
  }
}

/** Parse JSON text, recording the position of every value. Throws JsonSyntaxError. */
export function parseLocated(text: string): Located {
  const p = new Parser(text);
  const value = p.parse();
  return { value, positions: p.positions, keys: p.keys, bigIntegers: p.bigIntegers };
}

/** The position of the value at `pointer`, or of its nearest ancestor that exists. */
export function locate(located: Pick<Located, 'positions'>, pointer: string): Position | undefined {
  let p = pointer;
  for (;;) {
    const pos = located.positions.get(p);
    if (pos) return pos;
    if (p === '') return undefined;
    p = parentPointer(p);
  }
}
