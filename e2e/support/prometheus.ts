// A strict reader of the Prometheus text format (0.0.4): what a scrape would refuse, it throws on.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** Each family's type, by its name (`# TYPE`). */
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Sample names a family of each type may have beside its own name. */
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

/** Parses a scrape's text; throws naming the line for anything malformed. */
export function parsePrometheus(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  let family: string | undefined;
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the text does not end with a newline');
  text
    .split('\n')
    .slice(0, -1)
    .forEach((line, index) => {
      const fail = (why: string) => {
        throw new Error(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
      };
      if (line.trim() === '') return;
      if (line.startsWith('#')) {
        const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
        if (!meta) return; // any other comment
        const [, kind, name, rest = ''] = meta;
        if (!NAME.test(name)) fail('bad metric name');
        if (kind === 'TYPE') {
          if (!TYPES.has(rest)) fail('unknown type');
          if (types.has(name)) fail('a second TYPE for one family');
          if (samples.some((s) => familyOf(s.name, types) === name)) fail('TYPE after its samples');
          types.set(name, rest);
          family = name;
        }
        return;
      }
      const sample = parseSample(line, fail);
      const owner = familyOf(sample.name, types);
      if (types.has(owner) && owner !== family) fail('a sample away from its family');
      const key = sample.name + JSON.stringify(Object.entries(sample.labels).sort());
      if (seen.has(key)) fail('a series twice');
      seen.add(key);
      samples.push(sample);
    });
  checkHistograms(types, samples);
  return { types, samples };
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) return fail('no metric name');
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/.exec(line.slice(at));
      if (!label || !LABEL_NAME.test(label[1])) return fail('bad label');
      if (label[1] in labels) fail('a label twice');
      labels[label[1]] = label[2].replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
      at += label[0].length;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') fail('labels not closed');
    }
    at++;
  }
  const rest = /^ (\S+)(?: (-?\d+))?$/.exec(line.slice(at));
  if (!rest) return fail('no value');
  return { name, labels, value: parseValue(rest[1], fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fail('bad value');
  return Number(text);
}

/** The family a sample belongs to: its own name, or a histogram's or summary's it is a part of. */
function familyOf(name: string, types: Map<string, string>): string {
  if (types.has(name)) return name;
  for (const [family, type] of types) for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  return name;
}

/** Each histogram series: buckets with `le`, counts that never fall, and the +Inf bucket equal to its count. */
function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}: a bucket without le`);
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const les = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
      if (les.at(-1) !== Infinity) throw new Error(`${family}${key}: no +Inf bucket`);
      buckets.forEach((b, i) => {
        if (i > 0 && (les[i] <= les[i - 1] || b.value < buckets[i - 1].value)) throw new Error(`${family}${key}: buckets out of order`);
      });
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
      if (count?.value !== buckets.at(-1)!.value) throw new Error(`${family}${key}: the +Inf bucket is not the count`);
    }
  }
}

/** The sum of the samples named `name` whose labels include `labels`; 0 when there are none. */
export function valueOf({ samples }: Scrape, name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}
