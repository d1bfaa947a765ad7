CREATE INDEX posts_by_author ON posts (author_id);
DROP INDEX posts_by_author_in_thread;
CREATE INDEX posts_by_thread ON posts (thread_id, id);
DROP INDEX posts_in_thread;
DROP INDEX threads_in_order;
