//! yieldlab: a backtester for DeFi yield strategies.
//!
//! Data flows one way (see DESIGN.md): `data` reads and validates datasets and aligns
//! them into a `market::Market`; later parts (protocol math, engine, batch runner,
//! metrics, reports) read that market and never touch files themselves.

pub mod amm;
pub mod cli;
pub mod data;
pub mod io;
pub mod market;
pub mod quote;
pub mod units;
