//! Request handlers, by area. Handlers stay thin: they check access, call the store
//! and the core rules, and render.

pub mod accessibility;
pub mod admin;
pub mod api;
pub mod api_tokens;
pub mod auth;
pub mod calendar;
pub mod community;
pub mod community_api;
pub mod course;
pub mod item;
pub mod members;
pub mod memberships;
pub mod metrics;
pub mod notifications;
pub mod organisations;
pub mod privacy;
pub mod report_api;
pub mod search;
pub mod status;
pub mod support;
pub mod trainer;
