//! confaudit: finds the misconfigurations behind proxy connection resets.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod parse;
pub mod source;
