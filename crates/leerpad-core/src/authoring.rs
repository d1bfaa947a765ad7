//! Who authors a course, and the figures its authors see.
//!
//! A course's `authors` are email addresses written in its `course.yaml`. A signed-in
//! trainer whose verified address is one of them sees the course's trainer pages:
//! its published versions and its learners in numbers, never their names.

use serde::Serialize;

/// Addresses are compared case-insensitively: this is the form they are compared in.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A course's learners in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LearnerFigures {
    /// Enrolments in the course (of accounts that still exist).
    pub enrolled: u64,
    /// Of those, who opened something of it.
    pub started: u64,
    /// Of those, who completed it.
    pub completed: u64,
}

impl LearnerFigures {
    /// Completed as a whole percentage of enrolled, rounded down (0 without learners).
    pub fn completion_rate(&self) -> u8 {
        (self.completed * 100)
            .checked_div(self.enrolled)
            .unwrap_or(0) as u8
    }
}

/// How far learners got with one item: reached (opened or started it) and finished
/// (a lesson marked done, a quiz submitted, a scenario played to an ending).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ItemFigures {
    pub reached: u64,
    pub finished: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_rate_rounds_down_and_survives_no_learners() {
        let mut f = LearnerFigures::default();
        assert_eq!(f.completion_rate(), 0);
        f.enrolled = 3;
        f.completed = 1;
        assert_eq!(f.completion_rate(), 33);
        f.completed = 3;
        assert_eq!(f.completion_rate(), 100);
    }

    #[test]
    fn addresses_compare_in_lower_case() {
        assert_eq!(normalise_email(" Tessa@Example.ORG "), "tessa@example.org");
    }
}
