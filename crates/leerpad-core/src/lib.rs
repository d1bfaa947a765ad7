//! Leerpad's domain model.
//!
//! This crate holds the types every other crate speaks: stable ids, the compiled
//! course (what the compiler produces and the store publishes), and the pure rules on
//! them. It does no I/O and depends on no other Leerpad crate, no database and no web
//! framework.

pub mod course;
pub mod hash;
pub mod id;
pub mod role;
pub mod trackable;
pub mod urls;

pub use course::*;
pub use hash::ContentHash;
pub use id::{Id, IdError};
pub use role::Role;
pub use trackable::{Trackable, TrackableKind};
