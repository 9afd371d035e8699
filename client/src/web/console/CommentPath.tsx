import { useEffect, useState, type FormEvent } from 'react';
import { clockOf, deltaOf, fetchPath, type LoggedEvent, type Path } from './api';
import type { Change } from './useConsole';

interface Props {
  events: LoggedEvent[];
  /** The latest change (a new event, the read model showing one): the shown path is asked for again when it is about it. */
  lastChange: Change | null;
}

/** A comment's path as a timeline: chosen from the recent comments, or by a pasted comment or request id. */
export function CommentPath({ events, lastChange }: Props) {
  const [typed, setTyped] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [path, setPath] = useState<Path | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const recent = events.filter((e) => e.type === 'CommentCreated' && e.subject).slice(0, 20);

  useEffect(() => {
    if (lastChange === null || shown === null) return;
    const about =
      lastChange.subject === shown || lastChange.requestId === shown || (lastChange.subject !== undefined && path?.subjects.includes(lastChange.subject));
    if (about) setVersion((v) => v + 1);
    // Only a new change is looked at, not a new path (that one is asked for below anyway).
  }, [lastChange]);

  useEffect(() => {
    if (shown === null) return;
    let current = true;
    fetchPath(shown).then(
      (found) => {
        if (!current) return;
        setPath(found);
        setError(found === null ? 'No recent event has that id.' : null);
      },
      (err: Error) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [shown, version]);

  const show = (id: string) => {
    setPath(null);
    setError(null);
    setShown(id.trim() === '' ? null : id.trim());
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    show(typed);
  };

  return (
    <section aria-labelledby="path-heading">
      <h2 id="path-heading">A comment&apos;s path</h2>
      <div className="path-pickers">
        <div>
          <label htmlFor="recent-comment">Recent comment</label>
          <select id="recent-comment" value={recent.some((e) => e.subject === shown) ? (shown ?? '') : ''} onChange={(e) => show(e.target.value)}>
            <option value="">Choose a comment…</option>
            {recent.map((e) => (
              <option key={e.seq} value={e.subject}>
                {clockOf(e.at)} · {e.subject}
              </option>
            ))}
          </select>
        </div>
        <form onSubmit={onSubmit}>
          <label htmlFor="path-id">Comment or request id</label>
          <div className="row">
            <input id="path-id" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
            <button type="submit">Show path</button>
          </div>
        </form>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {shown !== null && path !== null && (
        <ol className="timeline" aria-label={`Path of ${shown}`}>
          {path.steps.map((step, i) => (
            <li key={i} className={step.what === 'visible' ? 'step visible' : 'step'}>
              <span className="step-what">{step.what === 'visible' ? 'visible in the read model' : step.what}</span>
              {step.status && <span className="step-status"> {step.status}</span>}
              {' at '}
              <time dateTime={step.at}>{clockOf(step.at)}</time>
              {step.afterMs !== null && <span className="step-delta"> {deltaOf(step.afterMs)}</span>}
              {step.what !== 'visible' && <span className="step-source"> by {step.source ?? '—'}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
