//! yieldlab: a backtester for DeFi yield strategies.
//!
//! Data flows one way (see DESIGN.md): `data` reads and validates datasets and aligns
//! them into a `market::Market`; later parts (protocol math, engine, batch runner,
//! metrics, reports) read that market and never touch files themselves.

// Library code never panics on what it is given: no `unwrap`/`expect` outside tests (an
// invariant of our own that cannot be an error says why where it is allowed). Inputs
// are bounded where they are read (declared domains: `market::Field::range`, durations,
// capital, sizes), so arithmetic on them cannot overflow downstream.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod amm;
pub mod batch;
pub mod cli;
pub mod costs;
pub mod data;
pub mod engine;
pub mod fees;
pub mod io;
pub mod market;
pub mod metrics;
pub mod names;
pub mod pipeline;
pub mod pool;
pub mod quote;
pub mod report;
pub mod run;
pub mod strategy;
pub mod units;
pub mod validate;
