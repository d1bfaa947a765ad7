//! Reading a list of people to invite from an uploaded CSV file.
//!
//! Coordinators export these from HR systems and Excel, so the reader is lenient
//! about form and strict about content: a byte order mark, `;` or `,` between
//! fields, Windows-1252 (what Excel in Belgium saves as "CSV") or UTF-8, Dutch or
//! English column names in any order, and blank lines are all fine. Every row with
//! a problem is reported with its line number, and nothing is imported until the
//! whole file is right.

use std::collections::HashMap;

use leerpad_core::address::plausible_email;

/// At most this many people per file.
pub const MAX_ROWS: usize = 5_000;

/// One person to invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The line in the file (1 is the header).
    pub line: u64,
    pub email: String,
    pub name: String,
    pub group: Option<String>,
}

/// What is wrong with a line, as a text key and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    /// The row's email as written (may be empty), to help find the row.
    pub email: String,
    pub key: &'static str,
    /// The line an email was first used on, for duplicates.
    pub first_line: Option<u64>,
}

/// What is wrong with the file as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    NoEmailColumn,
    NoNameColumn,
    TooManyRows,
    Unreadable,
}

impl FileProblem {
    pub fn key(self) -> &'static str {
        match self {
            FileProblem::Empty => "import.empty",
            FileProblem::NoEmailColumn => "import.no-email-column",
            FileProblem::NoNameColumn => "import.no-name-column",
            FileProblem::TooManyRows => "import.too-many-rows",
            FileProblem::Unreadable => "import.unreadable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roster {
    pub rows: Vec<RosterRow>,
    pub problems: Vec<RowProblem>,
}

/// Column names people use, lowercased, without spaces, hyphens or underscores.
fn column(name: &str) -> Option<&'static str> {
    let n: String = name
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect();
    Some(match n.as_str() {
        "email" | "emailadres" | "emailaddress" | "mail" => "email",
        "name" | "naam" | "fullname" | "volledigenaam" | "displayname" => "name",
        "group" | "groep" | "dienst" | "afdeling" | "department" | "team" => "group",
        _ => return None,
    })
}

/// Reads the file; `Err` when it cannot be read as a roster at all.
pub fn parse(bytes: &[u8]) -> Result<Roster, FileProblem> {
    // Line endings as one newline, so that the reader counts lines as people do
    // (it counts a CRLF file's lines from 0 after the header otherwise).
    let text = decode(bytes).replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim_start_matches('\u{feff}');
    let first_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(FileProblem::Empty)?;
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| FileProblem::Unreadable)?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = column(h) {
            index.entry(c).or_insert(i);
        }
    }
    let email_at = *index.get("email").ok_or(FileProblem::NoEmailColumn)?;
    let name_at = *index.get("name").ok_or(FileProblem::NoNameColumn)?;
    let group_at = index.get("group").copied();

    let mut roster = Roster::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|_| FileProblem::Unreadable)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if roster.rows.len() + roster.problems.len() >= MAX_ROWS {
            return Err(FileProblem::TooManyRows);
        }
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let written = field(email_at);
        let email = leerpad_store::accounts::normalise_email(&written);
        let name = field(name_at);
        let group = group_at.map(field).filter(|g| !g.is_empty());
        let problem = |key: &'static str, first_line: Option<u64>| RowProblem {
            line,
            email: written.clone(),
            key,
            first_line,
        };
        if email.is_empty() {
            roster.problems.push(problem("import.missing-email", None));
        } else if !plausible_email(&email) {
            roster.problems.push(problem("import.bad-email", None));
        } else if let Some(first) = seen.get(&email) {
            roster
                .problems
                .push(problem("import.duplicate", Some(*first)));
        } else if name.is_empty() {
            roster.problems.push(problem("import.missing-name", None));
        } else if name.chars().count() > 100 {
            roster.problems.push(problem("import.long-name", None));
        } else if group.as_ref().is_some_and(|g| g.chars().count() > 80) {
            roster.problems.push(problem("import.long-group", None));
        } else {
            seen.insert(email.clone(), line);
            roster.rows.push(RosterRow {
                line,
                email,
                name,
                group,
            });
        }
    }
    if roster.rows.is_empty() && roster.problems.is_empty() {
        return Err(FileProblem::Empty);
    }
    Ok(roster)
}

/// UTF-8 if the bytes are UTF-8, otherwise Windows-1252 (which never fails).
fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_excel_files_from_belgium() {
        // Windows-1252, semicolons, Dutch column names in another order, a BOM-less file.
        let mut bytes = b"Groep;Naam;E-mailadres\r\nDienst Burgerzaken;Ren".to_vec();
        bytes.push(0xe9); // é in Windows-1252
        bytes.extend_from_slice(b"e Peeters;Renee.Peeters@Gemeente.be\r\n;;\r\n");
        let r = parse(&bytes).unwrap();
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(
            r.rows,
            vec![RosterRow {
                line: 2,
                email: "renee.peeters@gemeente.be".into(),
                name: "Renée Peeters".into(),
                group: Some("Dienst Burgerzaken".into()),
            }]
        );
    }

    #[test]
    fn reads_utf8_with_a_bom_and_commas() {
        let r = parse("\u{feff}email,name\nan@example.org,\"Janssens, An\"\n".as_bytes()).unwrap();
        assert_eq!(r.rows[0].name, "Janssens, An");
        assert_eq!(r.rows[0].group, None);
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let csv = "email;name\nan@example.org;An\nnot-an-address;Bert\n;Chris\nAN@example.org;An again\ndirk@example.org;\n";
        let r = parse(csv.as_bytes()).unwrap();
        assert_eq!(r.rows.len(), 1);
        let got: Vec<(u64, &str, Option<u64>)> = r
            .problems
            .iter()
            .map(|p| (p.line, p.key, p.first_line))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "import.bad-email", None),
                (4, "import.missing-email", None),
                (5, "import.duplicate", Some(2)),
                (6, "import.missing-name", None),
            ]
        );
    }

    #[test]
    fn whole_file_problems() {
        assert_eq!(parse(b""), Err(FileProblem::Empty));
        assert_eq!(parse(b"email;name\n"), Err(FileProblem::Empty));
        assert_eq!(
            parse(b"naam;telefoon\nAn;123\n"),
            Err(FileProblem::NoEmailColumn)
        );
        assert_eq!(
            parse(b"email\nan@example.org\n"),
            Err(FileProblem::NoNameColumn)
        );
        let mut big = String::from("email,name\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("p{i}@example.org,P {i}\n"));
        }
        assert_eq!(parse(big.as_bytes()), Err(FileProblem::TooManyRows));
    }
}
