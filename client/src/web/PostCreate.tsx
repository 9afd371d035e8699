import { createPost, type CreatedPost } from './api';
import { OneFieldForm } from './OneFieldForm';

export function PostCreate({ onCreated }: { onCreated: (post: CreatedPost) => void }) {
  return (
    <OneFieldForm
      className="post-create"
      label="Title"
      name="title"
      button="Create post"
      emptyMessage="Please enter a title."
      send={async (title, key) => onCreated(await createPost(title, key))}
    />
  );
}
