//! Dates as people read them, in their language.

use chrono::{Datelike, NaiveDateTime};

/// `1 december 2026` (nl) or `1 December 2026` (en).
pub fn date_in_words(t: NaiveDateTime, lang: &str) -> String {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let months = if lang.starts_with("en") { EN } else { NL };
    format!("{} {} {}", t.day(), months[t.month0() as usize], t.year())
}
