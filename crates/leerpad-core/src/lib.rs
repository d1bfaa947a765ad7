//! Leerpad's domain model.
//!
//! This crate holds the types every other crate speaks: stable ids, the compiled
//! course (what the compiler produces and the store publishes), and the pure rules on
//! them. It does no I/O and depends on no other Leerpad crate, no database and no web
//! framework.
//!
//! Who authors a course and what they see of it is [`authoring`].
//!
//! The rules the web server applies: [`grading`] (answers, drawing questions,
//! scores, attempts), [`completion`] (progress and course completion) and
//! [`scenario_play`] (following a scenario's choices), and [`nudges`] (which reminder
//! email is due for an enrolment) and [`report`] (coordinators' completion reports), and [`search`] (what a course
//! contributes to the search index and what a learner's query means). Their types are re-exported
//! here; call their functions through the module (`grading::grade`,
//! `completion::progress`, `scenario_play::replay`).

pub mod address;
pub mod anonymity;
pub mod authoring;
pub mod community;
pub mod completion;
pub mod course;
pub mod dates;
pub mod grading;
pub mod hash;
pub mod id;
pub mod media;
pub mod nudges;
pub mod report;
pub mod role;
pub mod scenario_play;
pub mod search;
pub mod trackable;
pub mod urls;

pub use address::plausible_email;
pub use authoring::{ItemFigures, LearnerFigures};
pub use completion::{LearnerState, ModuleProgress, Progress};
pub use course::*;
pub use grading::{Answer, AnswerError, QuestionResult, QuizScore};
pub use hash::ContentHash;
pub use id::{Id, IdError};
pub use role::Role;
pub use scenario_play::{PlayError, Position};
pub use trackable::{Trackable, TrackableKind};
