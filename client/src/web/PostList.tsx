import { useId } from 'react';
import type { CreatedComment } from './api';
import { CommentCreate } from './CommentCreate';
import { CommentList } from './CommentList';
import { olderCount, type FeedPost } from './feed';
import { useLoader } from './useLoader';

type OnCommentCreated = (comment: CreatedComment) => void;
type OnShowOlder = (postId: string) => Promise<void>;

interface Props {
  posts: FeedPost[];
  onCommentCreated: OnCommentCreated;
  onShowOlder: OnShowOlder;
}

export function PostList({ posts, onCommentCreated, onShowOlder }: Props) {
  return (
    <div className="posts">
      {posts.map((post) => (
        <PostItem key={post.id} post={post} onCommentCreated={onCommentCreated} onShowOlder={onShowOlder} />
      ))}
    </div>
  );
}

function PostItem({ post, onCommentCreated, onShowOlder }: { post: FeedPost; onCommentCreated: OnCommentCreated; onShowOlder: OnShowOlder }) {
  const headingId = useId(); // names the article after its title for screen readers
  const older = useLoader(() => onShowOlder(post.id));
  const hidden = olderCount(post);
  return (
    <article className="post" aria-labelledby={headingId}>
      <h3 id={headingId}>{post.title}</h3>
      {post.olderCursor !== null && (
        <div className="older">
          <button type="button" onClick={older.run} disabled={older.loading}>
            {hidden === 0 ? 'Show older comments' : `Show ${hidden} older ${hidden === 1 ? 'comment' : 'comments'}`}
          </button>
          {older.error && (
            <p className="error" role="alert">
              {older.error}
            </p>
          )}
        </div>
      )}
      <CommentList comments={post.comments} />
      <CommentCreate postId={post.id} onCreated={onCommentCreated} />
    </article>
  );
}
