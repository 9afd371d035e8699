import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { blogEvents, writeEnvelopes } from '../src/catch-up';
import { figuresOf } from '../src/goals';
import { stateText } from '../src/report-text';
import { benchmarksMd } from '../src/report-markdown';
import { onPostgres, POSTGRES_NOT_RUN, postgresAdminUrl } from '../src/state';
import { withState } from './results';

const stateFigures = (r = withState()) => figuresOf(r).filter((f) => f.group.startsWith('State in a database'));
const figure = (group: string, name: string) => stateFigures().find((f) => f.group === `State in a database, ${group}` && f.name.startsWith(name));

test('query back after a SIGKILL, memory, the first page and a rebuild at the largest blog, each against its goal and its base', () => {
  expect(figure('embedded', "query SIGKILLed: its new process's spawn → ready, s, 20,000 comments (60,020 events)")).toMatchObject({
    value: '0.300',
    goal: '≤ 1',
    pass: true,
  });
  expect(figure('PostgreSQL', 'the same, 20,000 comments (60,020 events) / 3,327 comments (10,001 events)')).toMatchObject({ value: '1.00×', pass: true });
  expect(figure('embedded', 'query RSS after resuming, MB')).toMatchObject({ value: '130.0', goal: '≤ 120', pass: false });
  expect(figure('embedded', 'query RSS, 20,000 / 1,000 comments')).toMatchObject({ value: '1.44×', goal: '≤ 1.3×', pass: false });
  expect(figure('embedded', 'posts RSS, 20,000 / 1,000 comments')).toMatchObject({ value: '1.01×', pass: true });
  expect(figure('embedded', 'query rebuilt alone')).toMatchObject({ value: '60,000', goal: '≥ 20,000', pass: true });
  expect(figure('PostgreSQL', 'query rebuilt alone')).toMatchObject({ value: '30,000', pass: null });
  expect(figure('PostgreSQL', 'first page (GET /posts/page) p99')).toMatchObject({ value: '18.0', goal: '≤ 20', pass: true });
  expect(figure('embedded', "query's log after the SIGKILL says")).toMatchObject({ value: 'yes', pass: true });
});

test('end to end on each home against E/8, E being a bare Express process under the same clients', () => {
  expect(figure('embedded', 'end to end, settled')).toMatchObject({ value: '0.87×', goal: '≥ 0.8×', pass: true });
  expect(figure('PostgreSQL', 'end to end, settled')).toMatchObject({ value: '0.70×', pass: false });
});

test('without a PostgreSQL server every PostgreSQL figure says what to set, unjudged, and its columns say so', () => {
  const r = { ...withState(), e2ePostgres: { notRun: POSTGRES_NOT_RUN } };
  r.state = { runs: r.state!.runs.filter((x) => x.home === 'embedded'), postgresNotRun: POSTGRES_NOT_RUN };
  const postgres = stateFigures(r).filter((f) => f.group.endsWith('PostgreSQL'));
  expect(postgres.length).toBeGreaterThan(10);
  expect(postgres.every((f) => f.value === 'not run: set BENCH_DATABASE_URL' && f.pass === null)).toBe(true);
  const text = stateText(r).split('\n');
  expect(text[1]).toMatch(/^log on disk, MB\s+0\.3\s+not run: set BENCH_DATABASE_URL\s+1\.1\s+not run: set BENCH_DATABASE_URL\s+6\.7\s+not run/);
});

test('both homes side by side at each size, in the terminal and on the page', () => {
  const r = withState();
  const text = stateText(r).split('\n');
  expect(text[0]).toMatch(
    /^state in a database\s+1,000 comments, embedded\s+1,000 comments, PostgreSQL\s+3,327 comments, embedded.*20,000 comments, PostgreSQL\s+goal at the largest$/,
  );
  expect(text).toContainEqual(
    expect.stringMatching(/^query RSS after resuming, MB\s+90\.0\s+90\.0\s+90\.5\s+90\.5\s+130\.0\s+91\.3\s+≤ 120; ≤ 1\.3× at 1,000 comments$/),
  );
  expect(text).toContainEqual(expect.stringMatching(/^settled \/ \(E\/8\)\s+0\.87×\s+0\.70×\s+≥ 0\.8×$/));
  const page = benchmarksMd({ ...r, figures: figuresOf(r) }, undefined);
  expect(page).toContain('## State in a database');
  expect(page).toContain('| E: a bare Express process, POSTs per CPU second | 16,000 | 16,000 |  |');
});

test("a blog written as the bus's file, a line per event in seq order, never whole in memory", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-blog-'));
  try {
    const file = path.join(dir, 'events.ndjson');
    expect(writeEnvelopes(file, blogEvents(3, 10))).toEqual({ events: 33, bytes: readFileSync(file).length });
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(lines.map((e) => e.seq)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
    expect(lines.filter((e) => e.type === 'CommentUpdated')).toHaveLength(10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const adminUrl = postgresAdminUrl();
(adminUrl ? test : test.skip)('a PostgreSQL database per backend while the run lasts, dropped after', async () => {
  const names = async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like 'bench_%'");
    await client.end();
    return rows.map((r) => r.datname);
  };
  const before = await names();
  const made = await onPostgres(adminUrl!, async (env) => {
    const urls = Object.entries(env).map(([service, e]) => [service, new URL(e!.DATABASE_URL!).pathname.slice(1)]);
    expect(urls.map(([service]) => service)).toEqual(['posts', 'comments', 'query', 'moderation']);
    expect(await names()).toEqual(expect.arrayContaining(urls.map(([, name]) => name)));
    return urls.map(([, name]) => name);
  });
  expect((await names()).filter((n) => made.includes(n))).toEqual([]);
  expect(await names()).toEqual(before);
});
