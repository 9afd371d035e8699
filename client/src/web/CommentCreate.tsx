import { useId } from 'react';
import { createComment, type CreatedComment } from './api';
import { useSubmit } from './useSubmit';

export function CommentCreate({ postId, onCreated }: { postId: string; onCreated: (comment: CreatedComment) => void }) {
  const inputId = useId();
  const errorId = useId();
  const form = useSubmit(async (content, key) => onCreated(await createComment(postId, content, key)), 'Please enter a comment.');

  return (
    <form className="comment-create" onSubmit={form.onSubmit} noValidate>
      <label htmlFor={inputId}>Comment</label>
      <div className="row">
        <input
          id={inputId}
          name="content"
          value={form.text}
          onChange={(event) => form.setText(event.target.value)}
          aria-invalid={form.error !== null}
          aria-describedby={form.error ? errorId : undefined}
          autoComplete="off"
        />
        <button type="submit" disabled={form.sending}>
          Add comment
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
