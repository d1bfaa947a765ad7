CREATE INDEX posts_by_thread ON posts (thread_id, id);
DROP INDEX posts_in_thread;
DROP INDEX threads_in_order;
