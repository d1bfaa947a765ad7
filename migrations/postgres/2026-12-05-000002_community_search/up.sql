-- Full-text search over community posts: a GIN index over posts' text, with the
-- `simple` configuration (posts mix Dutch and English; words are not stemmed).
-- Who may read what is decided by the query, which joins the spaces the reader
-- may read.
CREATE INDEX posts_search ON posts USING GIN (to_tsvector('simple', body));
