import { PostCreate } from './PostCreate';
import { PostList } from './PostList';
import { useFeed } from './useFeed';
import { useLoader } from './useLoader';

export function App() {
  const { feed, loaded, loadError, reconnecting, addPost, addComment, loadMorePosts, loadOlderComments } = useFeed();
  const more = useLoader(loadMorePosts);

  return (
    <main>
      <header className="site-header">
        <h1>posts.com</h1>
        <a href="/console">Event console</a>
      </header>
      <section aria-labelledby="create-heading">
        <h2 id="create-heading">Create a post</h2>
        <PostCreate onCreated={addPost} />
      </section>
      <section aria-labelledby="posts-heading">
        <h2 id="posts-heading">Posts</h2>
        {/* Always rendered: screen readers announce a change inside a live region, not a region that appears. */}
        <div role="status">{reconnecting && <p className="notice">Reconnecting… The posts below are as last loaded.</p>}</div>
        {loadError && (
          <p className="error" role="alert">
            Posts could not be loaded. {loadError}
          </p>
        )}
        {!loaded && <p className="muted">Loading posts…</p>}
        {loaded && feed.posts.length === 0 && !loadError && <p className="muted">No posts yet. Create the first one above.</p>}
        <PostList posts={feed.posts} onCommentCreated={addComment} onShowOlder={loadOlderComments} />
        {feed.next !== null && (
          <div className="more">
            <button type="button" onClick={more.run} disabled={more.loading}>
              More posts
            </button>
            {more.error && (
              <p className="error" role="alert">
                {more.error}
              </p>
            )}
          </div>
        )}
      </section>
    </main>
  );
}
