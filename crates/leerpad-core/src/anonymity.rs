//! The anonymity threshold: the smallest group of people an aggregate may be
//! shown for. A count, an average or an open answer of fewer people than this
//! could point at a person (in a municipality's team of four, "1 of 4 answered
//! no" names someone), so pages, exports and the API show nothing for such a
//! group, and every area that shows numbers about people asks this one rule.
//!
//! The site sets it (`anonymity_threshold`, 5 by default); it can never be set
//! below [`FLOOR`].

use serde::Serialize;

/// The default smallest group.
pub const DEFAULT: u32 = 5;
/// No configuration goes below this.
pub const FLOOR: u32 = 3;

/// The smallest group an aggregate is shown for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threshold(u32);

impl Default for Threshold {
    fn default() -> Self {
        Threshold(DEFAULT)
    }
}

impl Threshold {
    /// The threshold configured, or `None` when it is below [`FLOOR`].
    pub fn new(min_group: u32) -> Option<Threshold> {
        (min_group >= FLOOR).then_some(Threshold(min_group))
    }

    pub fn min_group(self) -> u32 {
        self.0
    }

    /// Whether an aggregate of `people` may be shown.
    pub fn shows(self, people: u64) -> bool {
        people >= u64::from(self.0)
    }

    /// `value` for a group of `people`, or `None` when the group is too small.
    pub fn reveal<T>(self, people: u64, value: T) -> Option<T> {
        self.shows(people).then_some(value)
    }

    /// Whether a group may be shown when others can also see the groups it is
    /// part of: a group that is too small, or whose complement within `whole` is
    /// (the whole minus a shown group gives away the rest), is hidden, so that
    /// combining filters cannot single out the few.
    pub fn shows_within(self, people: u64, whole: u64) -> bool {
        self.shows(people) && (people == whole || self.shows(whole.saturating_sub(people)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_below_the_floor() {
        assert_eq!(Threshold::new(2), None);
        assert_eq!(Threshold::new(3).map(Threshold::min_group), Some(3));
        assert_eq!(Threshold::default().min_group(), 5);
    }

    #[test]
    fn small_groups_show_nothing() {
        let t = Threshold::default();
        assert!(!t.shows(4) && t.shows(5));
        assert_eq!(t.reveal(4, "80%"), None);
        assert_eq!(t.reveal(12, "80%"), Some("80%"));
    }

    #[test]
    fn a_complement_too_small_hides_the_group() {
        let t = Threshold::default();
        // 20 respondents, 17 in one group: the other 3 would be the difference.
        assert!(!t.shows_within(17, 20));
        assert!(t.shows_within(15, 20));
        assert!(t.shows_within(20, 20));
        assert!(!t.shows_within(4, 20));
    }
}
