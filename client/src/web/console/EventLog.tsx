import { clockOf, type LoggedEvent } from './api';

interface Props {
  events: LoggedEvent[];
  hasOlder: boolean;
  onOlder: () => void;
  error: string | null;
}

/** The log, newest first: seq, type, time, publisher and request id. */
export function EventLog({ events, hasOlder, onOlder, error }: Props) {
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">Event log</h2>
      {events.length === 0 && <p className="muted">No events yet.</p>}
      <table className="console-table" aria-labelledby="log-heading">
        <thead>
          <tr>
            <th scope="col">seq</th>
            <th scope="col">type</th>
            <th scope="col">time</th>
            <th scope="col">published by</th>
            <th scope="col">request id</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.seq}>
              <td>{event.seq}</td>
              <td>{event.type}</td>
              <td>
                <time dateTime={event.at}>{clockOf(event.at)}</time>
              </td>
              <td>{event.source ?? '—'}</td>
              <td className="id">{event.requestId ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {hasOlder && (
        <div className="more">
          <button type="button" onClick={onOlder}>
            Older events
          </button>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
