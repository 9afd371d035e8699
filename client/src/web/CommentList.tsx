import type { Comment } from './api';

export const PENDING_TEXT = 'This comment is awaiting moderation';
export const REJECTED_TEXT = 'This comment has been rejected';

/** What a comment shows: its content only once moderation approved it. */
export function commentText(comment: Comment): string {
  switch (comment.status) {
    case 'approved':
      return comment.content;
    case 'rejected':
      return REJECTED_TEXT;
    case 'pending':
      return PENDING_TEXT;
  }
}

export function CommentList({ comments }: { comments: Comment[] }) {
  if (comments.length === 0) return <p className="muted">No comments yet.</p>;
  return (
    <ul className="comments">
      {comments.map((comment) => (
        <li key={comment.id} className={`comment ${comment.status}`}>
          {commentText(comment)}
        </li>
      ))}
    </ul>
  );
}
