import { useState, type FormEvent } from 'react';
import { ApiError, UNAVAILABLE_MESSAGE } from './api';

/**
 * A one-field form's text, sending state and error: the text is cleared only after a successful send,
 * so a failed send never loses what the person typed.
 */
export function useSubmit(send: (text: string) => Promise<void>, emptyMessage: string) {
  const [text, setText] = useState('');
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
    try {
      await send(trimmed);
      setText('');
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : UNAVAILABLE_MESSAGE);
    } finally {
      setSending(false);
    }
  }

  return { text, setText, sending, error, onSubmit };
}
