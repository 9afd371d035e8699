import { createComment, type CreatedComment } from './api';
import { OneFieldForm } from './OneFieldForm';

export function CommentCreate({ postId, onCreated }: { postId: string; onCreated: (comment: CreatedComment) => void }) {
  return (
    <OneFieldForm
      className="comment-create"
      label="Comment"
      name="content"
      button="Add comment"
      emptyMessage="Please enter a comment."
      send={async (content, key) => onCreated(await createComment(postId, content, key))}
    />
  );
}
