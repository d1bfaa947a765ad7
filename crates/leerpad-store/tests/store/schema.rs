//! Both backends' migrations produce exactly the tables, columns, types,
//! nullability and primary keys that `src/schema.rs` declares.

use crate::support;

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use leerpad_store::DbConnection;

/// table -> (primary key columns, [(column, type, nullable)] in order)
type Schema = BTreeMap<String, (Vec<String>, Vec<(String, String, bool)>)>;

fn declared() -> Schema {
    let text = include_str!("../../src/schema.rs");
    let table =
        regex::Regex::new(r"(?s)diesel::table!\s*\{\s*(\w+)\s*\(([^)]*)\)\s*\{(.*?)\}\s*\}")
            .unwrap();
    let column = regex::Regex::new(r"(\w+)\s*->\s*(Nullable<(\w+)>|\w+)\s*,").unwrap();
    let mut out = Schema::new();
    for t in table.captures_iter(text) {
        let pk = t[2].split(',').map(|s| s.trim().to_string()).collect();
        let cols = column
            .captures_iter(&t[3])
            .map(|c| match c.get(3) {
                Some(inner) => (c[1].to_string(), inner.as_str().to_string(), true),
                None => (c[1].to_string(), c[2].to_string(), false),
            })
            .collect();
        out.insert(t[1].to_string(), (pk, cols));
    }
    assert!(
        out.len() >= 15,
        "schema.rs parsed into only {} tables",
        out.len()
    );
    out
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text, column_name = "type")]
    ty: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn diesel_type(sql: &str) -> String {
    match sql.to_ascii_lowercase().as_str() {
        "integer" => "Integer",
        "bigint" => "BigInt",
        "text" => "Text",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        "boolean" => "Bool",
        "blob" | "bytea" => "Binary",
        other => panic!("column type `{other}` has no diesel type in this check"),
    }
    .to_string()
}

fn actual(conn: &mut DbConnection) -> Schema {
    let mut out = Schema::new();
    match conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                // Ordinary tables only: not the FTS5 search index (a virtual table) nor the
                // shadow tables that hold its data.
                "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap();
            for t in tables {
                let cols: Vec<SqliteColumn> =
                    diesel::sql_query(format!("PRAGMA table_info('{}')", t.name))
                        .load(c)
                        .unwrap();
                let mut pk: Vec<(i32, String)> = cols
                    .iter()
                    .filter(|c| c.pk > 0)
                    .map(|c| (c.pk, c.name.clone()))
                    .collect();
                pk.sort();
                let columns = cols
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            diesel_type(&c.ty),
                            c.notnull == 0 && c.pk == 0,
                        )
                    })
                    .collect();
                out.insert(t.name, (pk.into_iter().map(|(_, n)| n).collect(), columns));
            }
        }
        DbConnection::Pg(c) => {
            #[derive(QueryableByName)]
            struct PgColumn {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
                #[diesel(sql_type = Text)]
                data_type: String,
                #[diesel(sql_type = Text)]
                is_nullable: String,
            }
            #[derive(QueryableByName)]
            struct PgKey {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
            }
            let cols: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' ORDER BY table_name, ordinal_position",
            )
            .load(c)
            .unwrap();
            for col in cols {
                let entry = out.entry(col.table_name).or_default();
                entry.1.push((
                    col.column_name,
                    diesel_type(&col.data_type),
                    col.is_nullable == "YES",
                ));
            }
            let keys: Vec<PgKey> = diesel::sql_query(
                "SELECT k.table_name::text, k.column_name::text FROM information_schema.table_constraints t \
                 JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name AND k.table_name = t.table_name \
                 WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = 'public' AND t.table_name <> '__diesel_schema_migrations' \
                 ORDER BY k.table_name, k.ordinal_position",
            )
            .load(c)
            .unwrap();
            for k in keys {
                out.entry(k.table_name).or_default().0.push(k.column_name);
            }
        }
    }
    out
}

#[test]
fn migrations_match_schema_rs_on_every_backend() {
    let expected = declared();
    for t in support::backends() {
        let mut conn = t.db.conn().unwrap();
        let got = actual(&mut conn);
        for (table, want) in &expected {
            assert_eq!(
                got.get(table),
                Some(want),
                "{}: table `{table}` differs from schema.rs",
                t.name
            );
        }
        let extra: Vec<&String> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
        assert!(
            extra.is_empty(),
            "{}: tables not in schema.rs: {extra:?}",
            t.name
        );
    }
}

#[test]
fn sqlite_enforces_foreign_keys() {
    let t = support::TestDb::sqlite();
    let mut conn = t.db.conn().unwrap();
    let err = diesel::sql_query(
        "INSERT INTO lesson_progress (user_id, course_id, item_id, first_opened_at, last_opened_at) VALUES (99, 'x', 'y', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    .execute(&mut *conn);
    assert!(err.is_err(), "a row pointing at nothing must be refused");
}
