import { useRef, useState, type FormEvent } from 'react';
import { ApiError, newIdempotencyKey, UNAVAILABLE_MESSAGE } from './api';

/** A submitted text on its way, with the key that makes sending it again the same write. */
interface Write {
  text: string;
  key: string;
}

/**
 * A one-field form's text, sending state and error. Submits are sent one after another, in order: one made while
 * another is being sent waits for it, and is never dropped. A send that succeeds takes from the field only the text it
 * sent, so nothing typed meanwhile is lost. A failed send stops the rest; its text stays in the field
 * (or, if the person typed on, in the error), and the same text sent again keeps its key: it is the same write.
 */
export function useSubmit(send: (text: string, idempotencyKey: string) => Promise<void>, emptyMessage: string) {
  const [text, setText] = useState('');
  // The field as it stands, for a send that ends after the person typed on.
  const field = useRef(text);
  field.current = text;
  const waiting = useRef<Write[]>([]);
  const keys = useRef(new Map<string, string>());
  const draining = useRef(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function sendWaiting(): Promise<void> {
    draining.current = true;
    setSending(true);
    let write: Write | undefined;
    try {
      while ((write = waiting.current[0])) {
        const sent = write.text;
        // Sent as typed (the server trims), so a position in its answer is a position in the field.
        await send(sent, write.key);
        waiting.current.shift();
        keys.current.delete(sent);
        setText((now) => (now.startsWith(sent) ? now.slice(sent.length) : now));
      }
    } catch (failure) {
      const failed = write?.text ?? '';
      const message = failure instanceof ApiError ? failure.message : UNAVAILABLE_MESSAGE;
      waiting.current = [];
      const typedOn = field.current !== failed && field.current !== '';
      if (!typedOn) setText(failed);
      setError(typedOn ? `"${failed}" was not sent. ${message}` : message);
    } finally {
      draining.current = false;
      setSending(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    if (text.trim() === '') {
      setError(emptyMessage);
      return;
    }
    setError(null);
    // The same text again is the same write: waiting, it is not queued twice; after a failure, it keeps its key.
    if (!waiting.current.some((write) => write.text === text)) {
      if (!keys.current.has(text)) keys.current.set(text, newIdempotencyKey());
      waiting.current.push({ text, key: keys.current.get(text)! });
    }
    if (!draining.current) void sendWaiting();
  }

  return { text, setText, sending, error, onSubmit };
}
