//! What a run holds: positions of each kind (AMM liquidity with its cached unit
//! amounts, lending supply, yield principal), their pending exits, and the portfolio.

use super::*;

pub use crate::pool::{Amounts, MAX_COINS};

#[derive(Debug, Clone, PartialEq)]
pub struct AmmPos {
    pub pool: String,
    /// Index of the pool in the run's book.
    pub pid: usize,
    pub kind: PoolKind,
    /// Liquidity in whole-token units (√(x·y) for v2 and ranges; a share of D for StableSwap).
    pub l: f64,
    /// √lower, √upper for concentrated ranges.
    pub range: Option<(f64, f64)>,
    /// Tokens deposited, each at the time it was deposited (the HODL reference).
    pub basket: Amounts,
    pub last_il: f64,
    /// Fees earned and not yet compounded or collected (USD).
    pub fees_usd: f64,
    /// Reward tokens earned and not yet claimed.
    pub pending: f64,
    /// The position's amounts and USD value per unit of L at the last two steps they
    /// were needed (slot `i % 2`): a step marks, accrues and values a position several
    /// times, and all of it is linear in L for a fixed range.
    pub unit: [UnitCache; 2],
}

/// Amounts and USD value of one unit of L of a position at `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitAt {
    /// Per coin of the pool.
    pub amt: Amounts,
    pub usd: f64,
}

/// One slot of a position's unit cache: each field its own cell, so that a hit reads
/// only what it needs (the value, for most callers).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCache {
    pub(super) step: Cell<usize>,
    pub(super) usd: Cell<f64>,
    pub(super) amt: Cell<Amounts>,
}

impl UnitCache {
    /// An empty slot (no step cached).
    pub fn empty() -> UnitCache {
        UnitCache {
            step: Cell::new(usize::MAX),
            usd: Cell::new(0.0),
            amt: Cell::new([0.0; MAX_COINS]),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PosKind {
    Amm(AmmPos),
    Lend {
        market: String,
        asset: usize,
        amount: f64,
        chain: String,
    },
    Yield {
        pool: String,
        /// Index of the pool in the run's book.
        pid: usize,
        /// In units of `asset`.
        principal: f64,
        /// What the principal tracks (book index; 0 = USD): the pool's stated exposure.
        asset: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub kind: PosKind,
    pub opened: usize,
    /// A vault deposit: harvests share gas with other depositors and pay vault fees.
    pub vault: bool,
    /// The end of its venue's lock period (`[pools.<id>] lock`): no withdrawal before.
    pub locked_until: Option<Timestamp>,
    /// A withdrawal or move requested and waiting for the lock or the unbonding delay.
    pub exit: Option<PendingExit>,
}

/// A withdrawal waiting for its venue's lock or unbonding delay: it completes at
/// `ready_at` (the position stays held, marked and exposed to stress events until
/// then), and moves into `then` where it was a move.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingExit {
    pub ready_at: Timestamp,
    pub then: Option<Target>,
    /// Whether the position earns its yield while it waits.
    pub earns: bool,
}

impl PosKind {
    /// The pool (book index) a pool or yield position is in; `None` for a loan.
    pub fn pid(&self) -> Option<usize> {
        match self {
            PosKind::Amm(a) => Some(a.pid),
            PosKind::Yield { pid, .. } => Some(*pid),
            PosKind::Lend { .. } => None,
        }
    }
}

impl Position {
    /// The pool or lending market the position is in.
    pub fn venue(&self) -> &str {
        match &self.kind {
            PosKind::Amm(a) => &a.pool,
            PosKind::Lend { market, .. } => market,
            PosKind::Yield { pool, .. } => pool,
        }
    }
}

/// What the run holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Portfolio {
    /// Asset (book index) → amount; index 0 is USD.
    pub wallet: Wallet,
    pub positions: VecMap<u32, Position>,
    pub(super) next_id: u32,
    /// Bumped whenever a position opens or closes.
    pub(super) version: u64,
}

/// Scales a position by `k`.
pub(super) fn scale(p: &mut Position, k: f64) {
    match &mut p.kind {
        PosKind::Amm(a) => {
            a.l *= k;
            a.basket = a.basket.map(|b| b * k);
            a.last_il *= k;
            a.fees_usd *= k;
            a.pending *= k;
        }
        PosKind::Lend { amount, .. } => *amount *= k,
        PosKind::Yield { principal, .. } => *principal *= k,
    }
}
