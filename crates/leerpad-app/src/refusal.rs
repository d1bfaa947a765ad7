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
    /// Muted in the space, or may read it only.
    MayNotPost,
    /// The space's guidelines are to be accepted before a first post.
    GuidelinesFirst,
    /// Too many posts in a short time.
    PostingTooFast,
    /// A thread needs a title (at most 150 characters).
    MissingTitle,
    /// A post needs text (at most 20,000 characters).
    MissingText,
    /// The thread is locked: no new replies.
    ThreadLocked,
    /// The post was deleted.
    PostDeleted,
    /// A reason is needed (at most 500 characters).
    MissingReason,
    /// Only its author (or a moderator) may change a post.
    NotYourPost,
    /// One cannot report one's own post.
    OwnPost,
    /// Only the question's author or a moderator marks the accepted answer.
    NotYourThread,
    /// Only a question has an accepted answer.
    NotAQuestion,
    /// Only a visible reply in the thread can be the accepted answer.
    NotAnAnswer,
    /// A restriction lasts 1 to 3650 days, or until lifted.
    BadPeriod,
    /// Nobody of that name takes part in this space.
    NoSuchMember,
    /// A moderator of the space cannot be muted or banned in it.
    IsModerator,
    /// No account has that address.
    NoSuchAccount,
}

impl Refusal {
    /// Every refusal, for the test that their texts exist.
    pub const ALL: &'static [Refusal] = &[
        Refusal::BadEmail,
        Refusal::MissingName,
        Refusal::LongGroup,
        Refusal::SlugTaken,
        Refusal::InvalidOrganisation,
        Refusal::MayNotPost,
        Refusal::GuidelinesFirst,
        Refusal::PostingTooFast,
        Refusal::MissingTitle,
        Refusal::MissingText,
        Refusal::ThreadLocked,
        Refusal::PostDeleted,
        Refusal::MissingReason,
        Refusal::NotYourPost,
        Refusal::OwnPost,
        Refusal::NotYourThread,
        Refusal::NotAQuestion,
        Refusal::NotAnAnswer,
        Refusal::BadPeriod,
        Refusal::NoSuchMember,
        Refusal::IsModerator,
        Refusal::NoSuchAccount,
    ];

    /// The key of its text in the theme's interface texts.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::BadEmail => "import.bad-email",
            Refusal::MissingName => "import.missing-name",
            Refusal::LongGroup => "import.long-group",
            Refusal::SlugTaken => "org.slug-taken",
            Refusal::InvalidOrganisation => "org.invalid",
            Refusal::MayNotPost => "community.refused.may-not-post",
            Refusal::GuidelinesFirst => "community.refused.guidelines-first",
            Refusal::PostingTooFast => "community.refused.too-fast",
            Refusal::MissingTitle => "community.refused.title",
            Refusal::MissingText => "community.refused.text",
            Refusal::ThreadLocked => "community.refused.locked",
            Refusal::PostDeleted => "community.refused.deleted",
            Refusal::MissingReason => "community.refused.reason",
            Refusal::NotYourPost => "community.refused.not-yours",
            Refusal::OwnPost => "community.refused.own-post",
            Refusal::NotYourThread => "community.refused.not-your-thread",
            Refusal::NotAQuestion => "community.refused.not-a-question",
            Refusal::NotAnAnswer => "community.refused.not-an-answer",
            Refusal::BadPeriod => "community.refused.period",
            Refusal::NoSuchMember => "community.refused.no-member",
            Refusal::IsModerator => "community.refused.moderator",
            Refusal::NoSuchAccount => "community.refused.no-account",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}
