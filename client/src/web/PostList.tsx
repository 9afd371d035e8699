import { useId } from 'react';
import type { CreatedComment, Post } from './api';
import { CommentCreate } from './CommentCreate';
import { CommentList } from './CommentList';

type OnCommentCreated = (comment: CreatedComment) => void;

export function PostList({ posts, onCommentCreated }: { posts: Post[]; onCommentCreated: OnCommentCreated }) {
  return (
    <div className="posts">
      {posts.map((post) => (
        <PostItem key={post.id} post={post} onCommentCreated={onCommentCreated} />
      ))}
    </div>
  );
}

function PostItem({ post, onCommentCreated }: { post: Post; onCommentCreated: OnCommentCreated }) {
  const headingId = useId(); // names the article after its title for screen readers
  return (
    <article className="post" aria-labelledby={headingId}>
      <h3 id={headingId}>{post.title}</h3>
      <CommentList comments={post.comments} />
      <CommentCreate postId={post.id} onCreated={onCommentCreated} />
    </article>
  );
}
