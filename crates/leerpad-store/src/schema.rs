// The database schema, shared by SQLite and PostgreSQL. `tests/store/schema.rs` checks
// that both backends' migrations produce exactly these tables and columns.

diesel::table! {
    organisations (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        language -> Text,
        email_verified_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        notifications -> Text,
    }
}

diesel::table! {
    memberships (organisation_id, user_id) {
        organisation_id -> Integer,
        user_id -> Integer,
        role -> Text,
        created_at -> Timestamp,
        group_id -> Nullable<Integer>,
        accepted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    org_groups (id) {
        id -> Integer,
        organisation_id -> Integer,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Integer,
        organisation_id -> Integer,
        group_id -> Nullable<Integer>,
        course_id -> Text,
        deadline -> Nullable<Timestamp>,
        assigned_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assigned_enrolments (organisation_id, user_id, course_id) {
        organisation_id -> Integer,
        user_id -> Integer,
        course_id -> Text,
        assigned_at -> Timestamp,
        deadline -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Integer,
        name -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    anonymised_enrolments (organisation_id, group_name, course_id, status) {
        organisation_id -> Integer,
        group_name -> Text,
        course_id -> Text,
        status -> Text,
        count -> Integer,
    }
}

diesel::table! {
    courses (id) {
        id -> Text,
        current_version_id -> Nullable<Integer>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    course_versions (id) {
        id -> Integer,
        course_id -> Text,
        version -> Integer,
        content_hash -> Text,
        course_json -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    contents (content_hash) {
        content_hash -> Text,
        body -> Text,
    }
}

diesel::table! {
    assets (content_hash) {
        content_hash -> Text,
        media_type -> Text,
        size -> BigInt,
        bytes -> Binary,
    }
}

diesel::table! {
    items (course_id, id) {
        course_id -> Text,
        id -> Text,
        kind -> Text,
        created_version_id -> Integer,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    version_items (version_id, item_id) {
        version_id -> Integer,
        course_id -> Text,
        item_id -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        module_id -> Text,
        position -> Integer,
        title -> Text,
        content_hash -> Text,
    }
}

diesel::table! {
    enrolments (id) {
        id -> Integer,
        user_id -> Integer,
        course_id -> Text,
        enrolled_at -> Timestamp,
        deadline -> Nullable<Timestamp>,
        started_at -> Nullable<Timestamp>,
        last_activity_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        assigned_by -> Nullable<Integer>,
        progress_percent -> Integer,
        quiz_scores -> Text,
    }
}

diesel::table! {
    lesson_progress (user_id, course_id, item_id) {
        user_id -> Integer,
        course_id -> Text,
        item_id -> Text,
        first_opened_at -> Timestamp,
        last_opened_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    quiz_attempts (id) {
        id -> Integer,
        user_id -> Integer,
        course_id -> Text,
        item_id -> Text,
        version_id -> Integer,
        question_ids -> Text,
        started_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        score -> Nullable<Integer>,
        max_score -> Nullable<Integer>,
        passed -> Nullable<Bool>,
    }
}

diesel::table! {
    quiz_answers (attempt_id, question_id) {
        attempt_id -> Integer,
        course_id -> Text,
        question_id -> Text,
        answer -> Text,
        correct -> Bool,
        points -> Integer,
        answered_at -> Timestamp,
    }
}

diesel::table! {
    scenario_runs (id) {
        id -> Integer,
        user_id -> Integer,
        course_id -> Text,
        item_id -> Text,
        version_id -> Integer,
        path -> Text,
        current_step -> Text,
        outcome -> Nullable<Text>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reflections (user_id, course_id, reflection_id) {
        user_id -> Integer,
        course_id -> Text,
        reflection_id -> Text,
        answer -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    certificates (id) {
        id -> Integer,
        code -> Text,
        user_id -> Integer,
        course_id -> Text,
        version_id -> Integer,
        holder_name -> Text,
        title -> Text,
        issued_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> Integer,
        dedupe_key -> Text,
        user_id -> Nullable<Integer>,
        kind -> Text,
        recipient -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    nudge_log (user_id, course_id, rule_id, period) {
        user_id -> Integer,
        course_id -> Text,
        rule_id -> Text,
        period -> Text,
        queued_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        actor_id -> Nullable<Integer>,
        action -> Text,
        subject -> Text,
        details -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        replaced_by -> Nullable<Text>,
    }
}

diesel::table! {
    login_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Integer,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        payload -> Nullable<Text>,
    }
}

diesel::table! {
    rate_limits (bucket, window_start) {
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
        last_hit_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    spaces (id) {
        id -> Integer,
        key -> Text,
        course_id -> Nullable<Text>,
        organisation_id -> Nullable<Integer>,
        guidelines -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    threads (id) {
        id -> Integer,
        space_id -> Integer,
        lesson_id -> Nullable<Text>,
        title -> Text,
        author_id -> Nullable<Integer>,
        question -> Bool,
        answer_first -> Bool,
        accepted_post_id -> Nullable<Integer>,
        locked_at -> Nullable<Timestamp>,
        pinned_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_post_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        thread_id -> Integer,
        author_id -> Nullable<Integer>,
        body -> Text,
        html -> Text,
        state -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        reviewed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> Integer,
        post_id -> Integer,
        body -> Text,
        replaced_at -> Timestamp,
        by_moderator -> Bool,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    post_reports (post_id, user_id) {
        post_id -> Integer,
        user_id -> Integer,
        reason -> Text,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    thread_reads (user_id, thread_id) {
        user_id -> Integer,
        thread_id -> Integer,
        last_post_id -> Integer,
    }
}

diesel::table! {
    thread_follows (user_id, thread_id) {
        user_id -> Integer,
        thread_id -> Integer,
        since -> Timestamp,
    }
}

diesel::table! {
    guideline_acceptances (user_id, space_id) {
        user_id -> Integer,
        space_id -> Integer,
        accepted_at -> Timestamp,
    }
}

diesel::table! {
    space_restrictions (space_id, user_id) {
        space_id -> Integer,
        user_id -> Integer,
        kind -> Text,
        reason -> Text,
        until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    space_experts (space_id, user_id) {
        space_id -> Integer,
        user_id -> Integer,
        since -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(login_tokens -> users (user_id));
diesel::joinable!(memberships -> organisations (organisation_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> org_groups (group_id));
diesel::joinable!(org_groups -> organisations (organisation_id));
diesel::joinable!(assignments -> courses (course_id));
diesel::joinable!(assignments -> org_groups (group_id));
diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Integer,
        feed_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    job_runs (id) {
        id -> Integer,
        job -> Text,
        run_key -> Text,
        scheduled_for -> Timestamp,
        status -> Text,
        attempts -> Integer,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        next_attempt_at -> Nullable<Timestamp>,
        next_due_at -> Nullable<Timestamp>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        summary -> Nullable<Text>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    search_documents (id) {
        id -> Integer,
        course_id -> Text,
        version_id -> Integer,
        item_id -> Nullable<Text>,
        kind -> Text,
        language -> Text,
        listed -> Bool,
        position -> Integer,
        title -> Text,
        body -> Text,
    }
}

diesel::table! {
    course_authors (course_id, email) {
        course_id -> Text,
        email -> Text,
    }
}

diesel::joinable!(course_authors -> courses (course_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(course_versions -> courses (course_id));
diesel::joinable!(enrolments -> courses (course_id));
diesel::joinable!(nudge_log -> courses (course_id));
diesel::joinable!(certificates -> course_versions (version_id));
diesel::joinable!(quiz_attempts -> course_versions (version_id));
diesel::joinable!(scenario_runs -> course_versions (version_id));
diesel::joinable!(quiz_answers -> quiz_attempts (attempt_id));
diesel::joinable!(threads -> spaces (space_id));
diesel::joinable!(posts -> threads (thread_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_reports -> posts (post_id));
diesel::joinable!(space_restrictions -> users (user_id));
diesel::joinable!(thread_follows -> users (user_id));
diesel::joinable!(space_experts -> users (user_id));
diesel::joinable!(space_experts -> spaces (space_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    memberships,
    org_groups,
    assignments,
    assigned_enrolments,
    api_tokens,
    anonymised_enrolments,
    courses,
    course_versions,
    contents,
    assets,
    items,
    version_items,
    enrolments,
    lesson_progress,
    quiz_attempts,
    quiz_answers,
    scenario_runs,
    reflections,
    certificates,
    email_outbox,
    nudge_log,
    audit_log,
    sessions,
    login_tokens,
    rate_limits,
    calendar_feeds,
    search_documents,
    course_authors,
    job_runs,
    spaces,
    threads,
    posts,
    post_revisions,
    post_reports,
    thread_reads,
    thread_follows,
    guideline_acceptances,
    space_restrictions,
    space_experts,
);
