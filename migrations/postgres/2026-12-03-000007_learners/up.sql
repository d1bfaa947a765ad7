-- Learners: a private calendar feed of their deadlines, and full-text search over
-- the catalogue and the lessons.

-- The key a learner's calendar feed address is signed with; a new key (from the
-- settings page) makes the old address stop working.
CREATE TABLE calendar_feeds (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    feed_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- What search finds: one row per course (title, summary, audience, objectives,
-- modules) and per lesson, quiz and scenario of the version being served, as plain
-- text. Rewritten by the publish transaction, so it never disagrees with what is
-- served.
CREATE TABLE search_documents (
    id SERIAL PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    -- NULL for the course itself.
    item_id TEXT,
    -- course, lesson, quiz or scenario
    kind TEXT NOT NULL,
    -- nl or en: the course's language
    language TEXT NOT NULL,
    -- Listed in the catalogue; hidden courses are found only by those enrolled.
    listed BOOLEAN NOT NULL,
    -- Order within the course (0 for the course).
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX search_documents_course ON search_documents (course_id);

-- One full-text index per language, with that language's stemming and stop words:
-- the queries in `leerpad-store/src/search.rs` use exactly these expressions.
CREATE INDEX search_documents_dutch ON search_documents
    USING GIN (to_tsvector('dutch', title || ' ' || body)) WHERE language = 'nl';
CREATE INDEX search_documents_english ON search_documents
    USING GIN (to_tsvector('english', title || ' ' || body)) WHERE language = 'en';
