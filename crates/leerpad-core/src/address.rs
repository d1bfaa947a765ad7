//! Email addresses as people type them.

/// A light check of an address someone typed: something@something.something, no spaces, sane length.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::plausible_email;

    #[test]
    fn plausible_addresses() {
        assert!(plausible_email("an@gent.be"));
        for bad in [
            "",
            "an",
            "@gent.be",
            "an@gent",
            "an@.be",
            "an@gent.",
            "a n@gent.be",
            "<an@gent.be>",
            "an@x@gent.be",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}
