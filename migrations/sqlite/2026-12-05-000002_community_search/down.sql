DROP TRIGGER posts_search_update;
DROP TRIGGER posts_search_delete;
DROP TRIGGER posts_search_insert;
DROP TABLE post_search;
