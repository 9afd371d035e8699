/**
 * nats.conf as the tests read it: a parser for the part of NATS's configuration format that a config
 * uses (maps, arrays, quoted and bare strings, integers, booleans, variables, comments), strict about the
 * rest, and the rules NATS applies to subjects and permissions.
 */

/** A value nats.conf takes from the environment (`$NAME` with no such key above it), left unresolved. */
export class EnvRef {
  constructor(readonly name: string) {}
}

export type ConfValue = string | number | boolean | EnvRef | ConfValue[] | ConfMap;
export interface ConfMap {
  [key: string]: ConfValue;
}

const BARE_END = /[\s,;\]}]/;
const BOOLEANS: Record<string, boolean> = { true: true, yes: true, on: true, false: false, no: false, off: false };

class Parser {
  private pos = 0;
  /** The maps being filled, outermost first: a variable is the nearest key of that name already set. */
  private readonly scopes: ConfMap[] = [];

  constructor(
    private readonly text: string,
    private readonly env: Record<string, string> | undefined,
  ) {}

  document(): ConfMap {
    const map = this.mapBody(undefined);
    if (this.pos < this.text.length) this.fail('unexpected text');
    return map;
  }

  private fail(why: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new Error(`nats.conf line ${line}: ${why} at ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))}`);
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  /** Skips spaces, and newlines and comments too when `newlines` is set. */
  private skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.pos++;
      else if (newlines && (c === '#' || this.text.startsWith('//', this.pos))) {
        while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
      } else return;
    }
  }

  /** Key-value pairs up to `end` (`}`), or to the end of the text for the document. */
  private mapBody(end: string | undefined): ConfMap {
    const map: ConfMap = {};
    this.scopes.push(map);
    for (;;) {
      this.skip(true);
      if (end === undefined ? this.pos >= this.text.length : this.peek() === end) break;
      if (this.pos >= this.text.length) this.fail(`missing ${end}`);
      const key = this.key();
      if (key === 'include') this.fail('include is not read here');
      this.skip(false);
      if (this.peek() === ':' || this.peek() === '=') this.pos++;
      this.skip(false);
      map[key] = this.value();
      this.skip(false);
      if (this.peek() === ',' || this.peek() === ';') this.pos++;
      else if (this.peek() === '#' || this.text.startsWith('//', this.pos) || this.peek() === '\n') continue;
      else if (this.peek() !== end && this.pos < this.text.length) this.fail('expected the end of the entry');
    }
    this.scopes.pop();
    if (end !== undefined) this.pos++;
    return map;
  }

  private key(): string {
    const c = this.peek();
    if (c === '"' || c === "'") return this.quoted();
    const match = /^[A-Za-z0-9_$.-]+/.exec(this.text.slice(this.pos));
    if (!match) this.fail('expected a key');
    this.pos += match[0].length;
    return match[0];
  }

  private value(): ConfValue {
    const c = this.peek();
    if (c === '{') {
      this.pos++;
      return this.mapBody('}');
    }
    if (c === '[') {
      this.pos++;
      return this.array();
    }
    if (c === '"' || c === "'") return this.quoted();
    const start = this.pos;
    while (this.pos < this.text.length && !BARE_END.test(this.peek())) this.pos++;
    const bare = this.text.slice(start, this.pos);
    if (bare === '') this.fail('expected a value');
    if (bare.startsWith('$')) return this.variable(bare.slice(1));
    if (bare.toLowerCase() in BOOLEANS) return BOOLEANS[bare.toLowerCase()];
    if (/^-?\d+$/.test(bare)) return Number(bare);
    // NATS reads digits followed by other text as a number with a unit (or fails): this config has none.
    if (/^\d/.test(bare) && !/^\d+(\.\d+)*(:\d+)?$|^\d+(ms|s|h)$|^\d+[KMGT]B$/i.test(bare)) this.fail(`"${bare}" is no value NATS reads as written`);
    return bare;
  }

  private array(): ConfValue[] {
    const items: ConfValue[] = [];
    for (;;) {
      this.skip(true);
      if (this.peek() === ']') {
        this.pos++;
        return items;
      }
      if (this.pos >= this.text.length) this.fail('missing ]');
      items.push(this.value());
      this.skip(false);
      if (this.peek() === ',') this.pos++;
    }
  }

  private quoted(): string {
    const quote = this.peek();
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === quote) return out;
      if (c === '\\' && quote === '"') {
        const escaped = this.peek();
        this.pos++;
        out += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped;
      } else out += c;
    }
  }

  private variable(name: string): ConfValue {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (name in this.scopes[i]) return this.scopes[i][name];
    if (this.env === undefined || !(name in this.env)) return new EnvRef(name);
    // As NATS does: the variable's text is read as a value would be written in the file.
    return new Parser(`v: ${this.env[name]}`, undefined).document().v;
  }
}

/** nats.conf as a tree; `env` resolves the variables no key defines, as the server's environment would. */
export function parseNatsConf(text: string, env?: Record<string, string>): ConfMap {
  return new Parser(text, env).document();
}

/** Whether a NATS subject matches a pattern: `*` is one token, `>` one or more at the end. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

export interface Permission {
  allow?: string[];
  deny?: string[];
}

/** NATS's rule: allowed when an allow pattern matches (or there is no allow list) and no deny pattern does. */
export function permits(permission: Permission | undefined, subject: string): boolean {
  if (!permission) return true;
  const allowed = permission.allow === undefined || permission.allow.some((p) => subjectMatches(p, subject));
  return allowed && !(permission.deny ?? []).some((p) => subjectMatches(p, subject));
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30, tb: 2 ** 40 };

/** A NATS size (`1GB` is 2^30 bytes in nats.conf, `1G` 10^9) in bytes. */
export function natsBytes(size: ConfValue): number {
  if (typeof size === 'number') return size;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(String(size));
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`not a NATS size: ${String(size)}`);
  return Number(match[1]) * unit;
}

/** A NATS duration (`30s`; not `2m`, which nats.conf reads as the number 2,000,000) in milliseconds. */
export function natsMs(duration: ConfValue): number {
  const match = /^(\d+)(ms|s|h)$/.exec(String(duration));
  if (!match) throw new Error(`not a NATS duration: ${String(duration)}`);
  return Number(match[1]) * { ms: 1, s: 1e3, h: 3.6e6 }[match[2] as 'ms' | 's' | 'h'];
}
