// The console's subscribers table: the log's cursor and lag, beside each service's own checkpoint and database.
import { render, screen, within } from '@testing-library/react';
import type { SubscriberView } from '../src/web/console/api';
import { Subscribers } from '../src/web/console/Subscribers';

const cellsOf = (service: string) =>
  within(screen.getByRole('table', { name: 'Subscribers' }))
    .getByRole('row', { name: new RegExp(`^${service}\\b`) })
    .querySelectorAll('td');
const textsOf = (service: string) => [...cellsOf(service)].map((cell) => cell.textContent);

const subscribers: SubscriberView[] = [
  { name: 'posts', cursor: 120, lag: 0, retries: 0, state: 'caught up', checkpoint: 120, logHead: 120, database: { kind: 'embedded', bytes: 8192 } },
  { name: 'query', cursor: 120, lag: 0, retries: 0, state: 'rebuilding', checkpoint: 50, logHead: 120, database: { kind: 'postgres', bytes: 5_452_595 } },
  {
    name: 'moderation',
    cursor: 118,
    lag: 2,
    retries: 0,
    state: 'catching up',
    checkpoint: 118,
    logHead: 120,
    database: { kind: 'postgres', bytes: 3 * 1024 ** 3 },
  },
  {
    name: 'comments',
    cursor: 90,
    lag: 30,
    retries: 4,
    state: 'failing',
    lastError: { message: 'connect ECONNREFUSED comments', at: '2026-01-01T10:00:00.000Z' },
  },
];

it("shows each subscriber's cursor and lag, then its checkpoint and database size and kind, then its state", () => {
  render(<Subscribers subscribers={subscribers} />);
  const table = screen.getByRole('table', { name: 'Subscribers' });
  expect(
    within(table)
      .getAllByRole('columnheader')
      .map((th) => th.textContent),
  ).toEqual(['service', 'cursor', 'lag', 'checkpoint', 'database', 'state']);
  expect(textsOf('posts')).toEqual(['120', '0', '120', '8 KB embedded', 'caught up']);
  expect(textsOf('moderation')).toEqual(['118', '2', '118', '3.0 GB postgres', 'catching up']);
});

it('shows a rebuild with how far it has come, in percent of the log', () => {
  render(<Subscribers subscribers={subscribers} />);
  expect(textsOf('query')).toEqual(['120', '0', '50', '5.2 MB postgres', 'rebuilding 41 %']);
  expect(screen.getByRole('row', { name: /^query\b/ })).toHaveClass('subscriber rebuilding');
});

it('shows a dash where a service does not say where its state stands, and its last error', () => {
  render(<Subscribers subscribers={subscribers} />);
  const [cursor, lag, checkpoint, database, state] = textsOf('comments');
  expect([cursor, lag, checkpoint, database]).toEqual(['90', '30', '—', '—']);
  expect(state).toMatch(/^failing since \d\d:\d\d:\d\d\.000: connect ECONNREFUSED comments$/);
});

it('says so where the log does not say where its subscribers are', () => {
  render(<Subscribers subscribers={null} />);
  expect(screen.getByText('The log does not say where its subscribers are.')).toBeInTheDocument();
});
