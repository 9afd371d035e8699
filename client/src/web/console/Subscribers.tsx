import { clockOf, type Subscriber } from './api';

/** Each subscriber of the log: how far it has taken it, how far behind it is, and how its deliveries go. */
export function Subscribers({ subscribers }: { subscribers: Subscriber[] | null }) {
  return (
    <section aria-labelledby="subscribers-heading">
      <h2 id="subscribers-heading">Subscribers</h2>
      {subscribers === null ? (
        <p className="muted">The log does not say where its subscribers are.</p>
      ) : (
        <table className="console-table" aria-labelledby="subscribers-heading">
          <thead>
            <tr>
              <th scope="col">service</th>
              <th scope="col">cursor</th>
              <th scope="col">lag</th>
              <th scope="col">state</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      )}
    </section>
  );
}
