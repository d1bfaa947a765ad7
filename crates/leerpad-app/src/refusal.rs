//! Why a flow refuses what someone asked: typed, and shown in the person's
//! language by the text its [`Refusal::key`] names in the theme's `nl.toml` and
//! `en.toml` (`tests/web/theme.rs` checks every variant has both).

/// A refusal: the request was understood and cannot be done as asked; nothing
/// was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The email address typed is not one.
    BadEmail,
    /// A person needs a name (1 to 100 characters).
    MissingName,
    /// A group's name is longer than 80 characters.
    LongGroup,
    /// Another organisation has this short name.
    SlugTaken,
    /// The organisation's name or short name does not fit the rules.
    InvalidOrganisation,
}

impl Refusal {
    /// Every refusal, for the test that their texts exist.
    pub const ALL: &'static [Refusal] = &[
        Refusal::BadEmail,
        Refusal::MissingName,
        Refusal::LongGroup,
        Refusal::SlugTaken,
        Refusal::InvalidOrganisation,
    ];

    /// The key of its text in the theme's interface texts.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::BadEmail => "import.bad-email",
            Refusal::MissingName => "import.missing-name",
            Refusal::LongGroup => "import.long-group",
            Refusal::SlugTaken => "org.slug-taken",
            Refusal::InvalidOrganisation => "org.invalid",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}
