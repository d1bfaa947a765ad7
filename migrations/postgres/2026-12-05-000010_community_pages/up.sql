-- A space's threads in the order its pages list them (pinned first, newest pin
-- first, then by last post): a page is read from this index alone, however deep.
CREATE INDEX threads_in_order ON threads (
    space_id, (pinned_at IS NULL), pinned_at DESC, last_post_at DESC, id DESC
);

-- A thread's posts in order with their state: pages of replies, reply counts and
-- unread markers are read from this index alone. It covers posts_by_thread.
CREATE INDEX posts_in_thread ON posts (thread_id, id, state);
DROP INDEX posts_by_thread;

-- A member's posts by thread: their own held or hidden posts on a thread's page.
-- It covers posts_by_author.
CREATE INDEX posts_by_author_in_thread ON posts (author_id, thread_id);
DROP INDEX posts_by_author;
