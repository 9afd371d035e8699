import { useId } from 'react';
import { createPost, type CreatedPost } from './api';
import { useSubmit } from './useSubmit';

export function PostCreate({ onCreated }: { onCreated: (post: CreatedPost) => void }) {
  const inputId = useId();
  const errorId = useId();
  const form = useSubmit(async (title, key) => onCreated(await createPost(title, key)), 'Please enter a title.');

  return (
    <form className="post-create" onSubmit={form.onSubmit} noValidate>
      <label htmlFor={inputId}>Title</label>
      <div className="row">
        <input
          id={inputId}
          name="title"
          value={form.text}
          onChange={(event) => form.setText(event.target.value)}
          aria-invalid={form.error !== null}
          aria-describedby={form.error ? errorId : undefined}
          autoComplete="off"
        />
        <button type="submit" disabled={form.sending}>
          Create post
        </button>
      </div>
      {form.error && (
        <p id={errorId} className="error" role="alert">
          {form.error}
        </p>
      )}
    </form>
  );
}
