import { useId } from 'react';
import { useSubmit } from './useSubmit';

interface Props {
  className: string;
  label: string;
  name: string;
  button: string;
  /** Shown instead of sending when the field is empty. */
  emptyMessage: string;
  send: (text: string, idempotencyKey: string) => Promise<void>;
}

/** A labelled text field and its button: the shape of both of the page's forms. */
export function OneFieldForm({ className, label, name, button, emptyMessage, send }: Props) {
  const inputId = useId();
  const errorId = useId();
  const form = useSubmit(send, emptyMessage);

  return (
    <form className={className} onSubmit={form.onSubmit} noValidate>
      <label htmlFor={inputId}>{label}</label>
      <div className="row">
        <input
          id={inputId}
          name={name}
          value={form.text}
          onChange={(event) => form.setText(event.target.value)}
          aria-invalid={form.error !== null}
          aria-describedby={form.error ? errorId : undefined}
          autoComplete="off"
        />
        {/* Never disabled: a browser drops an Enter whose form's button is, and a submit while sending waits its turn. */}
        <button type="submit" aria-busy={form.sending}>
          {button}
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
