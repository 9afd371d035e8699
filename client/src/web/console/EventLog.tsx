import { clockOf, type LoggedEvent } from './api';
import { ConsoleTable } from './ConsoleTable';

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
      <ConsoleTable labelledBy="log-heading" columns={['seq', 'type', 'time', 'published by', 'request id']}>
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
      </ConsoleTable>
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
