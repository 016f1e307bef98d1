//! confaudit: finds the misconfigurations behind proxy connection resets.
// No panics on input: no unwrap/expect/panic, and no indexing or slicing
// that could be out of bounds (use `get`); tests may (clippy.toml).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod app;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod context;
pub mod discover;
pub mod finding;
pub mod fuzzing;
pub mod load;
pub mod load_embedded;
pub mod load_nginx;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod rendered;
pub mod report;
pub mod rules;
pub mod schema;
pub mod source;
pub mod suppress;
pub mod symptom;
pub mod timing;
pub mod util;
