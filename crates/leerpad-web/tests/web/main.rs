//! The web server's integration tests, in one binary: each module is one area of
//! the product, driven over HTTP (actix's test service) or through the runners,
//! against real databases and a real SMTP server. One binary rather than one per
//! file, because each links the whole server.

// Not every module uses every helper.
#[allow(dead_code)]
mod support;

mod accounts;
mod authorization;
mod certificates;
mod community;
mod connections;
mod contract;
mod coordinators;
mod digest;
mod emails;
mod faults;
mod learners;
mod learning;
mod metrics;
mod nudges;
mod privacy;
mod security;
mod status;
mod theme;
mod trainers;
