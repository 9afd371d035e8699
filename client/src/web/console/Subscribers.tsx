import { clockOf, type SubscriberView } from './api';
import { ConsoleTable } from './ConsoleTable';

/** Each subscriber of the log: how far it has taken it, how far behind it is, and how its deliveries go. */
export function Subscribers({ subscribers }: { subscribers: SubscriberView[] | null }) {
  return (
    <section aria-labelledby="subscribers-heading">
      <h2 id="subscribers-heading">Subscribers</h2>
      {subscribers === null ? (
        <p className="muted">The log does not say where its subscribers are.</p>
      ) : (
        <ConsoleTable labelledBy="subscribers-heading" columns={['service', 'cursor', 'lag', 'state']}>
          {subscribers.map((s, i) => (
            <tr key={i} className={`subscriber ${s.state.replace(' ', '-')}`}>
              <th scope="row">{s.name}</th>
              <td>{s.cursor}</td>
              <td>{s.lag}</td>
              <td>
                {s.state}
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
