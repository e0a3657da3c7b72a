//! Deferred work.
