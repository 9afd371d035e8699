import { EventLog } from './EventLog';
import { CommentPath } from './CommentPath';
import { Subscribers } from './Subscribers';
import { useConsole } from './useConsole';

/** The event-flow console: the log as it grows, where each subscriber stands, and a comment's path through the services. */
export function ConsolePage() {
  const { events, next, subscribers, connected, error, loadOlder, lastChange } = useConsole();
  return (
    <main className="console">
      <header className="site-header">
        <h1>posts.com console</h1>
        <a href="/">Back to the blog</a>
      </header>
      <div role="status">{!connected && <p className="notice">Connecting to the live stream…</p>}</div>
      <Subscribers subscribers={subscribers} />
      <CommentPath events={events} lastChange={lastChange} />
      <EventLog events={events} hasOlder={next !== null} onOlder={loadOlder} error={error} />
    </main>
  );
}
