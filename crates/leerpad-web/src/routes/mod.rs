//! Request handlers, by area. Handlers stay thin: they check access, call the store
//! and the core rules, and render.

pub mod admin;
pub mod api;
pub mod auth;
pub mod course;
pub mod item;
pub mod notifications;
pub mod support;
