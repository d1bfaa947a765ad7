//! Which language a page is in: the account's, else the one chosen on the site
//! (a cookie), else the browser's preference among Dutch and English, else the
//! configured default.

/// The cookie that keeps the language chosen on the site.
pub const LANG_COOKIE: &str = "lp_lang";

/// The user's language, else the one chosen on the site, else the browser's
/// preference among nl and en, else the configured default.
pub fn pick_language(
    user: Option<&str>,
    cookie: Option<&str>,
    accept: Option<&str>,
    default: &str,
) -> &'static str {
    let known = |l: &str| match l {
        "nl" => Some("nl"),
        "en" => Some("en"),
        _ => None,
    };
    if let Some(l) = user.and_then(known).or_else(|| cookie.and_then(known)) {
        return l;
    }
    if let Some(accept) = accept {
        let mut best: Option<(&'static str, f32)> = None;
        for part in accept.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = known(primary) {
                if best.is_none_or(|(_, bq)| q > bq) {
                    best = Some((l, q));
                }
            }
        }
        if let Some((l, _)) = best {
            return l;
        }
    }
    known(default).unwrap_or("nl")
}

#[cfg(test)]
mod tests {
    use super::pick_language;

    #[test]
    fn language_follows_user_then_choice_then_browser() {
        assert_eq!(
            pick_language(Some("en"), Some("nl"), Some("nl"), "nl"),
            "en"
        );
        assert_eq!(pick_language(None, Some("en"), Some("nl"), "nl"), "en");
        assert_eq!(
            pick_language(None, None, Some("fr-BE, en;q=0.8, nl;q=0.9"), "nl"),
            "nl"
        );
        assert_eq!(
            pick_language(None, None, Some("en-GB,en;q=0.9"), "nl"),
            "en"
        );
        assert_eq!(pick_language(None, None, Some("de"), "en"), "en");
        assert_eq!(pick_language(None, None, None, "nl"), "nl");
    }
}
