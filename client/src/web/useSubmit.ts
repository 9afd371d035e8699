import { useRef, useState, type FormEvent } from 'react';
import { ApiError, newIdempotencyKey, UNAVAILABLE_MESSAGE } from './api';

/**
 * A one-field form's text, sending state and error: the text is cleared only after a successful send,
 * so a failed send never loses what the person typed.
 */
export function useSubmit(send: (text: string, idempotencyKey: string) => Promise<void>, emptyMessage: string) {
  const [text, setText] = useState('');
  // The same text sent again after a failure is the same write: it keeps its key.
  const pendingWrite = useRef<{ text: string; key: string } | null>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (sending) return;
    const trimmed = text.trim();
    if (trimmed === '') {
      setError(emptyMessage);
      return;
    }
    setSending(true);
    setError(null);
    if (pendingWrite.current?.text !== trimmed) pendingWrite.current = { text: trimmed, key: newIdempotencyKey() };
    try {
      // Sent as typed (the server trims), so a position in its answer is a position in the field.
      await send(text, pendingWrite.current.key);
      pendingWrite.current = null;
      setText('');
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : UNAVAILABLE_MESSAGE);
    } finally {
      setSending(false);
    }
  }

  return { text, setText, sending, error, onSubmit };
}
