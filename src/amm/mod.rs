//! Protocol math, pure: state and inputs in, `Result` out. No I/O, no clock, no polars.
//!
//! Every function works in `f64` on whole-token amounts (not wei): the engine's hot
//! loop runs on these, and the differential tests check them against the on-chain
//! integer math to 1e-9 relative (see `tests/amm_reference.rs` and
//! `tools/reference/`). Where float and integer math cannot agree — amounts of a few
//! wei, where the contracts' rounding by one unit is a large fraction — the function
//! says so.
//!
//! | module        | protocol                                             |
//! |---------------|------------------------------------------------------|
//! | `v2`          | Uniswap v2 constant product                          |
//! | `v3`          | Uniswap v3 concentrated liquidity                    |
//! | `v3_exact`    | Uniswap v3 in exact on-chain integers (U256, Q64.96) |
//! | `replay`      | a Uniswap v3 pool replayed from its events, exactly  |
//! | `stableswap`  | Curve StableSwap (3pool-era contracts, n = 2 to 4)   |
//! | `stableswap_exact` | StableSwap D, y, exchange in exact integers     |
//! | `weighted`    | Balancer weighted pools (n coins, fixed weights)     |
//! | `lending`     | Aave / Compound interest indexes                     |
//! | `compound`    | harvest-and-compound arithmetic                      |

pub mod compound;
pub mod lending;
pub mod replay;
pub mod stableswap;
pub mod stableswap_exact;
pub mod v2;
pub mod v3;
pub mod v3_exact;
pub mod weighted;

/// Why a protocol computation cannot be done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AmmError {
    #[error("{name} must be {rule}, got {value}")]
    Invalid {
        name: &'static str,
        rule: &'static str,
        value: f64,
    },
    #[error("{0}")]
    Infeasible(String),
    #[error("{what} did not converge in {iterations} iterations")]
    NoConvergence { what: &'static str, iterations: u32 },
}

pub type AmmResult<T> = Result<T, AmmError>;

/// Checks `x` is finite and > 0.
pub(crate) fn positive(name: &'static str, x: f64) -> AmmResult<f64> {
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(AmmError::Invalid {
            name,
            rule: "a finite number > 0",
            value: x,
        })
    }
}

/// Checks `x` is finite and >= 0.
pub(crate) fn non_negative(name: &'static str, x: f64) -> AmmResult<f64> {
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(AmmError::Invalid {
            name,
            rule: "a finite number >= 0",
            value: x,
        })
    }
}

/// Checks a fee is a fraction in [0, 1).
pub(crate) fn fee_fraction(name: &'static str, x: f64) -> AmmResult<f64> {
    if x.is_finite() && (0.0..1.0).contains(&x) {
        Ok(x)
    } else {
        Err(AmmError::Invalid {
            name,
            rule: "a fraction in [0, 1) (0.003 = 0.30 %)",
            value: x,
        })
    }
}
