-- Who authors a course: the addresses in the `authors` of the version being
-- served (each published version keeps its own list in its course_json).
-- Rewritten by the publish transaction; a trainer's pages find their courses here.
CREATE TABLE course_authors (
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    -- lower case, as the compiler writes it
    email TEXT NOT NULL,
    PRIMARY KEY (course_id, email)
);
CREATE INDEX course_authors_email ON course_authors (email);
