import { useCallback, useState } from 'react';
import { ApiError, UNAVAILABLE_MESSAGE } from './api';

/** A button's load (more posts, older comments): one at a time, with the reason when it failed. */
export function useLoader(load: () => Promise<void>) {
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      await load();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : UNAVAILABLE_MESSAGE);
    } finally {
      setLoading(false);
    }
  }, [load]);

  return { loading, error, run: () => void run() };
}
