//! Include resolution and root selection.
#![allow(clippy::unwrap_used, clippy::panic)]
