import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchOlderEvents, LIVE_URL, type LoggedEvent, type SubscriberView } from './api';

/** Events the page holds at most, however long it stays open. */
const MOST_EVENTS = 500;

/** What a change was about: a new event's subject and request id, or the subject the read model showed. */
export interface Change {
  subject?: string;
  requestId?: string;
}

export interface ConsoleState {
  events: LoggedEvent[];
  /** Where the next older page starts; null at the log's start. */
  next: number | null;
  /** Null where the log does not say where its subscribers are. */
  subscribers: SubscriberView[] | null;
  connected: boolean;
  error: string | null;
}

/**
 * The console's live state from its event stream: a snapshot, then each new event, each change of the subscribers,
 * and each change the read model shows (so a shown path can be asked for again).
 */
export function useConsole() {
  const [state, setState] = useState<ConsoleState>({ events: [], next: null, subscribers: null, connected: false, error: null });
  // A new object each time, so the same subject changing twice is seen twice.
  const [lastChange, setLastChange] = useState<Change | null>(null);

  useEffect(() => {
    const source = new EventSource(LIVE_URL);
    source.addEventListener('snapshot', (message) => {
      const { events, subscribers } = JSON.parse(message.data) as { events: LoggedEvent[]; subscribers: SubscriberView[] | null };
      const oldest = events.at(-1)?.seq;
      setState({ events, next: oldest !== undefined && oldest > 1 ? oldest : null, subscribers, connected: true, error: null });
    });
    source.addEventListener('log', (message) => {
      const event = JSON.parse(message.data) as LoggedEvent;
      setState((s) => {
        if (s.events.length > 0 && s.events[0].seq >= event.seq) return s;
        const events = [event, ...s.events].slice(0, MOST_EVENTS);
        const trimmed = events.length < s.events.length + 1;
        return { ...s, events, next: trimmed ? events[events.length - 1].seq : s.next };
      });
      setLastChange({ subject: event.subject, requestId: event.requestId });
    });
    source.addEventListener('subscribers', (message) => {
      const subscribers = JSON.parse(message.data) as SubscriberView[] | null;
      setState((s) => ({ ...s, subscribers }));
    });
    source.addEventListener('visible', (message) => {
      const { subject } = JSON.parse(message.data) as { subject: string };
      setLastChange({ subject });
    });
    source.onopen = () => setState((s) => ({ ...s, connected: true, error: null }));
    // The browser reconnects by itself, with Last-Event-ID: the stream resumes where it broke off.
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    return () => source.close();
  }, []);

  const loading = useRef(false);
  const loadOlder = useCallback(async () => {
    if (loading.current || state.next === null) return;
    loading.current = true;
    try {
      const page = await fetchOlderEvents(state.next);
      setState((s) => {
        const known = new Set(s.events.map((e) => e.seq));
        // Bounded both ways: an older page pushes the newest out, as a new live event pushes the oldest out.
        const events = [...s.events, ...page.events.filter((e) => !known.has(e.seq))].slice(-MOST_EVENTS);
        return { ...s, events, next: page.next, error: null };
      });
    } catch (err) {
      setState((s) => ({ ...s, error: (err as Error).message }));
    } finally {
      loading.current = false;
    }
  }, [state.next]);

  return { ...state, loadOlder, lastChange };
}
