import { clockOf, progressOf, sizeOf, type SubscriberView } from './api';
import { ConsoleTable } from './ConsoleTable';

/**
 * Each subscriber of the log: how far it has taken it and how far behind it is (the log's view), its checkpoint and
 * database (the service's own, — while it does not say), and how its deliveries go or how far its rebuild has come.
 */
export function Subscribers({ subscribers }: { subscribers: SubscriberView[] | null }) {
  return (
    <section aria-labelledby="subscribers-heading">
      <h2 id="subscribers-heading">Subscribers</h2>
      {subscribers === null ? (
        <p className="muted">The log does not say where its subscribers are.</p>
      ) : (
        <ConsoleTable labelledBy="subscribers-heading" columns={['service', 'cursor', 'lag', 'checkpoint', 'database', 'state']}>
          {subscribers.map((s, i) => (
            <tr key={i} className={`subscriber ${s.state.replace(' ', '-')}`}>
              <th scope="row">{s.name}</th>
              <td>{s.cursor}</td>
              <td>{s.lag}</td>
              <td>{s.checkpoint ?? '—'}</td>
              <td>{s.database ? `${sizeOf(s.database.bytes)} ${s.database.kind}` : '—'}</td>
              <td>
                {s.state === 'rebuilding' ? `rebuilding ${progressOf(s.checkpoint ?? 0, s.logHead ?? 0)} %` : s.state}
                {s.lastError && (
                  <span className="last-error">
                    {' '}
                    since {clockOf(s.lastError.at)}: {s.lastError.message}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </ConsoleTable>
      )}
    </section>
  );
}
