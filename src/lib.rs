//! peakplan: workforce scheduling and capacity planning for contact-centre promotion peaks.
//!
//! Data flows one way: a [`scenario`] and a volume history go into the [`forecast`]; the forecast (a
//! [`volumes`] series) goes into [`staffing`], which asks the
//! [`queueing`] engine how many agents each channel needs per interval; the [`simulate`] module checks
//! any staffing against a discrete-event simulation of the same contact centre.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod api;
pub mod capacity;
pub mod cli;
pub mod clock;
pub mod export;
pub mod figures;
pub mod forecast;
pub mod live;
pub mod plan;
pub mod queueing;
pub mod report;
pub mod roster;
pub mod scenario;
pub mod simulate;
pub mod staffing;
pub mod store;
pub mod time_grid;
pub mod volumes;
pub mod web;
