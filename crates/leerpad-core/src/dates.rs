//! Dates as people read them, in their language: `1 december 2026` (nl),
//! `1 December 2026` (en). One rule for emails, certificates and action plans.

use chrono::{Datelike, NaiveDate};

use crate::Language;

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

/// The date in words in `language`.
pub fn long_date(date: NaiveDate, language: Language) -> String {
    let months = match language {
        Language::Nl => NL,
        Language::En => EN,
    };
    format!(
        "{} {} {}",
        date.day(),
        months[date.month0() as usize],
        date.year()
    )
}

/// [`long_date`] for a language tag (`en`, `en-GB`, …); Dutch for anything else.
pub fn long_date_for(date: NaiveDate, lang: &str) -> String {
    let language = if lang.starts_with("en") {
        Language::En
    } else {
        Language::Nl
    };
    long_date(date, language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_words() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(long_date(d, Language::Nl), "1 december 2026");
        assert_eq!(long_date_for(d, "en-GB"), "1 December 2026");
        assert_eq!(long_date_for(d, "fr"), "1 december 2026");
    }
}
