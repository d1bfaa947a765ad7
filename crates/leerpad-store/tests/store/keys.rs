//! Both backends' migrations declare the same foreign keys (with the same
//! `ON DELETE`) and the same unique keys (partial ones included), and every column
//! that names a row of another table is a foreign key. `schema.rs` only knows
//! columns; these keys are what keeps two people at once, a deleted account or a
//! republished course from leaving rows that point at nothing.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};
use leerpad_store::DbConnection;

/// `(table, columns, referenced table, referenced columns, on delete)`.
pub type ForeignKey = (String, Vec<String>, String, Vec<String>, String);
/// `(table, columns in index order, partial)`.
pub type UniqueKey = (String, Vec<String>, bool);

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteForeignKey {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Integer)]
    seq: i32,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from: String,
    #[diesel(sql_type = Text)]
    to: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    unique: i32,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Integer)]
    partial: i32,
}

#[derive(QueryableByName)]
struct SqliteIndexColumn {
    #[diesel(sql_type = Integer)]
    seqno: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    name: Option<String>,
}

#[derive(QueryableByName)]
struct PgForeignKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    referenced: String,
    #[diesel(sql_type = Text)]
    referenced_columns: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct PgUnique {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Bool)]
    partial: bool,
}

/// The ordinary tables of the database (not the search index, not diesel's own).
pub fn tables(conn: &mut DbConnection) -> Vec<String> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search%' AND name <> '__diesel_schema_migrations' ORDER BY name"
        }
        DbConnection::Pg(_) => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE' AND table_name <> '__diesel_schema_migrations' ORDER BY table_name"
        }
    };
    let names: Vec<Name> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
        DbConnection::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    names.into_iter().map(|n| n.name).collect()
}

pub fn foreign_keys(conn: &mut DbConnection) -> BTreeSet<ForeignKey> {
    let mut out = BTreeSet::new();
    match conn {
        DbConnection::Sqlite(_) => {
            for table in tables(conn) {
                let DbConnection::Sqlite(c) = &mut *conn else {
                    unreachable!()
                };
                let rows: Vec<SqliteForeignKey> = diesel::sql_query(format!(
                    "SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{table}') ORDER BY id, seq"
                ))
                .load(c)
                .unwrap();
                let mut by_id: BTreeMap<i32, Vec<SqliteForeignKey>> = BTreeMap::new();
                for r in rows {
                    by_id.entry(r.id).or_default().push(r);
                }
                for (_, mut parts) in by_id {
                    parts.sort_by_key(|p| p.seq);
                    out.insert((
                        table.clone(),
                        parts.iter().map(|p| p.from.clone()).collect(),
                        parts[0].table.clone(),
                        parts.iter().map(|p| p.to.clone()).collect(),
                        parts[0].on_delete.to_ascii_uppercase(),
                    ));
                }
            }
        }
        DbConnection::Pg(c) => {
            let rows: Vec<PgForeignKey> = diesel::sql_query(
                "SELECT cl.relname::text AS table_name, \
                        (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(co.conkey) WITH ORDINALITY k(att, n) \
                           JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.att)::text AS columns, \
                        rf.relname::text AS referenced, \
                        (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(co.confkey) WITH ORDINALITY k(att, n) \
                           JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.att)::text AS referenced_columns, \
                        CASE co.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' \
                             WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete \
                 FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class rf ON rf.oid = co.confrelid \
                 JOIN pg_namespace ns ON ns.oid = cl.relnamespace \
                 WHERE co.contype = 'f' AND ns.nspname = 'public'",
            )
            .load(c)
            .unwrap();
            for r in rows {
                out.insert((
                    r.table_name,
                    r.columns.split(',').map(str::to_string).collect(),
                    r.referenced,
                    r.referenced_columns
                        .split(',')
                        .map(str::to_string)
                        .collect(),
                    r.on_delete,
                ));
            }
        }
    }
    out
}

pub fn unique_keys(conn: &mut DbConnection) -> BTreeSet<UniqueKey> {
    let mut out = BTreeSet::new();
    match conn {
        DbConnection::Sqlite(_) => {
            for table in tables(conn) {
                let DbConnection::Sqlite(c) = &mut *conn else {
                    unreachable!()
                };
                let indexes: Vec<SqliteIndex> = diesel::sql_query(format!(
                    "SELECT name, \"unique\", origin, partial FROM pragma_index_list('{table}')"
                ))
                .load(c)
                .unwrap();
                for index in indexes
                    .into_iter()
                    .filter(|i| i.unique == 1 && i.origin != "pk")
                {
                    let mut cols: Vec<SqliteIndexColumn> = diesel::sql_query(format!(
                        "SELECT seqno, name FROM pragma_index_info('{}')",
                        index.name
                    ))
                    .load(c)
                    .unwrap();
                    cols.sort_by_key(|c| c.seqno);
                    out.insert((
                        table.clone(),
                        cols.into_iter()
                            .map(|c| c.name.unwrap_or_else(|| "<expression>".into()))
                            .collect(),
                        index.partial == 1,
                    ));
                }
            }
        }
        DbConnection::Pg(c) => {
            let rows: Vec<PgUnique> = diesel::sql_query(
                "SELECT cl.relname::text AS table_name, \
                        (SELECT string_agg(COALESCE(a.attname::text, '<expression>'), ',' ORDER BY k.n) FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(att, n) \
                           LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.att)::text AS columns, \
                        ix.indpred IS NOT NULL AS partial \
                 FROM pg_index ix JOIN pg_class cl ON cl.oid = ix.indrelid JOIN pg_namespace ns ON ns.oid = cl.relnamespace \
                 WHERE ix.indisunique AND NOT ix.indisprimary AND ns.nspname = 'public' \
                   AND cl.relname <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap();
            for r in rows {
                out.insert((
                    r.table_name,
                    r.columns.split(',').map(str::to_string).collect(),
                    r.partial,
                ));
            }
        }
    }
    out
}

/// Columns that look like a reference to another table's row but are not one, and why.
const NOT_REFERENCES: &[(&str, &str, &str)] = &[
    (
        "threads",
        "lesson_id",
        "the id of a lesson written in the sources, kept across versions",
    ),
    (
        "threads",
        "accepted_post_id",
        "a post of the same thread: posts go only with their thread (an author's \
         deleted post stays as a marker), and threads are made before their posts",
    ),
    (
        "thread_reads",
        "last_post_id",
        "a high-water mark of post ids seen, compared, never joined",
    ),
    (
        "nudge_log",
        "rule_id",
        "the id of a reminder rule written in course.yaml",
    ),
    (
        "version_items",
        "parent_id",
        "the id of a module written in the sources",
    ),
    (
        "version_items",
        "module_id",
        "the id of a module written in the sources",
    ),
    (
        "sessions",
        "replaced_by",
        "the session that took over at rotation; the pair is revoked and pruned together, \
         and the old one is only read during the 30 s grace",
    ),
];

const SEARCH_INDEX: &str = "search_documents";

#[test]
fn both_backends_declare_the_same_foreign_and_unique_keys() {
    let mut seen: Vec<(&str, BTreeSet<ForeignKey>, BTreeSet<UniqueKey>)> = Vec::new();
    for t in support::backends() {
        let mut conn = t.db.conn().unwrap();
        // The search index is an FTS5 table on SQLite (which has no keys) and an
        // ordinary table on PostgreSQL; publishing rewrites it whole.
        let fks: BTreeSet<ForeignKey> = foreign_keys(&mut conn)
            .into_iter()
            .filter(|k| k.0 != SEARCH_INDEX)
            .collect();
        let uniques: BTreeSet<UniqueKey> = unique_keys(&mut conn)
            .into_iter()
            .filter(|k| k.0 != SEARCH_INDEX)
            .collect();
        assert!(
            fks.len() >= 15,
            "{}: only {} foreign keys found",
            t.name,
            fks.len()
        );
        assert!(!uniques.is_empty(), "{}: no unique keys found", t.name);
        seen.push((t.name, fks, uniques));
    }
    if let [(a, fa, ua), (b, fb, ub)] = &seen[..] {
        let only = |x: &BTreeSet<ForeignKey>, y: &BTreeSet<ForeignKey>| {
            x.difference(y).cloned().collect::<Vec<_>>()
        };
        assert!(
            fa == fb,
            "foreign keys differ: only on {a}: {:?}; only on {b}: {:?}",
            only(fa, fb),
            only(fb, fa)
        );
        let only = |x: &BTreeSet<UniqueKey>, y: &BTreeSet<UniqueKey>| {
            x.difference(y).cloned().collect::<Vec<_>>()
        };
        assert!(
            ua == ub,
            "unique keys differ: only on {a}: {:?}; only on {b}: {:?}",
            only(ua, ub),
            only(ub, ua)
        );
    }
}

#[test]
fn every_column_naming_a_row_is_a_foreign_key() {
    let t = support::TestDb::sqlite();
    let mut conn = t.db.conn().unwrap();
    let fks = foreign_keys(&mut conn);
    let declared: BTreeSet<(String, String)> = fks
        .iter()
        .flat_map(|(table, cols, ..)| cols.iter().map(move |c| (table.clone(), c.clone())))
        .collect();
    let mut missing = Vec::new();
    for table in tables(&mut conn) {
        let DbConnection::Sqlite(c) = &mut *conn else {
            unreachable!()
        };
        let cols: Vec<Name> =
            diesel::sql_query(format!("SELECT name FROM pragma_table_info('{table}')"))
                .load(c)
                .unwrap();
        for col in cols {
            let looks_like_reference =
                (col.name.ends_with("_id") || col.name.ends_with("_by")) && col.name != "id";
            let exempt = NOT_REFERENCES
                .iter()
                .any(|(t, c, _)| *t == table && *c == col.name);
            if looks_like_reference
                && !exempt
                && !declared.contains(&(table.clone(), col.name.clone()))
            {
                missing.push(format!("{table}.{}", col.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "columns that name another row but have no foreign key (add one in both dialects, \
         or list the column in NOT_REFERENCES with the reason): {missing:?}"
    );
}
