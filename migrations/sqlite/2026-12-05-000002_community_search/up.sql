-- Full-text search over community posts: an FTS5 index over posts' text (an
-- external-content table: the text is kept once, in posts), kept by triggers.
-- Diacritics are folded, so "reele" finds "reële". Who may read what is decided
-- by the query, which joins the spaces the reader may read.
CREATE VIRTUAL TABLE post_search USING fts5(
    body,
    content = 'posts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
    INSERT INTO post_search (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER posts_search_update AFTER UPDATE OF body ON posts BEGIN
    INSERT INTO post_search (post_search, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO post_search (rowid, body) VALUES (new.id, new.body);
END;
