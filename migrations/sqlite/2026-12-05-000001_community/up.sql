-- The learning community: discussion spaces, their threads and posts, and what
-- moderating them keeps. Who did a moderation action, when and why is in
-- audit_log (action `community.*`); these tables keep only the state it left.

-- A space: `network` (every member of every organisation), `course:<id>` (a
-- course's learners and trainers) or `organisation:<id>` (its members). Made the
-- first time someone opens it.
CREATE TABLE spaces (
    id INTEGER PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    course_id TEXT REFERENCES courses (id) ON DELETE CASCADE,
    organisation_id INTEGER REFERENCES organisations (id) ON DELETE CASCADE,
    -- Markdown that replaces the site's community guidelines here, or NULL.
    guidelines TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE threads (
    id INTEGER PRIMARY KEY NOT NULL,
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    -- The lesson a "discuss this lesson" thread is about (one per lesson).
    lesson_id TEXT,
    title TEXT NOT NULL,
    -- NULL once the author's account is gone ("former member").
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    question BOOLEAN NOT NULL DEFAULT FALSE,
    -- Learners see others' answers only after posting their own.
    answer_first BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_post_id INTEGER,
    locked_at TIMESTAMP,
    pinned_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_post_at TIMESTAMP NOT NULL,
    UNIQUE (space_id, lesson_id)
);
CREATE INDEX threads_by_space ON threads (space_id, last_post_at);

-- A thread's first post is its opening post; replies follow in id order.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY NOT NULL,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Markdown as written, and the sanitised HTML made from it.
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    -- visible, held (a new member's first posts, until approved), hidden (by a
    -- moderator, or by enough reports until reviewed) or deleted (by its author).
    state TEXT NOT NULL DEFAULT 'visible',
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    -- When a moderator last reviewed its reports (reports before do not count).
    reviewed_at TIMESTAMP
);
CREATE INDEX posts_by_thread ON posts (thread_id, id);
CREATE INDEX posts_by_author ON posts (author_id);

-- Earlier texts of an edited post, newest last: its visible edit history.
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    -- When this text was replaced, whether by a moderator, and their note.
    replaced_at TIMESTAMP NOT NULL,
    by_moderator BOOLEAN NOT NULL DEFAULT FALSE,
    note TEXT
);
CREATE INDEX post_revisions_by_post ON post_revisions (post_id, id);

-- A report of a post, once per person and post.
CREATE TABLE post_reports (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    reported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_reports_by_user ON post_reports (user_id);

-- The newest post a member has seen in a thread (unread markers).
CREATE TABLE thread_reads (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    last_post_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);

-- Threads a member follows: an email per reply, or the daily digest.
CREATE TABLE thread_follows (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    since TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX thread_follows_by_thread ON thread_follows (thread_id);

-- A member accepted a space's guidelines (the site's, or the space's own).
CREATE TABLE guideline_acceptances (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    accepted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, space_id)
);

-- A member muted (may read, not post) or banned (may not read) in a space until a
-- time (NULL: until lifted).
CREATE TABLE space_restrictions (
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (space_id, user_id)
);
