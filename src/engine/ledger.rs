//! The ledger of a run: the attribution buckets that the position's value decomposes
//! into at every step, kept with compensated (Neumaier) sums, and the list of discrete
//! cash flows (actions with their gas, swap costs and fees) in `Decimal`.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

/// A running sum with compensation (Kahan–Babuška–Neumaier; each rounding error taken
/// exactly by TwoSum): exact to about one rounding of the total
/// however many terms are added.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum {
    sum: f64,
    comp: f64,
}

impl Sum {
    #[inline]
    pub fn add(&mut self, x: f64) {
        // Knuth's TwoSum: the exact rounding error of sum + x, without the branch of
        // Neumaier's form (which computes the same error term).
        let t = self.sum + x;
        let xp = t - self.sum;
        let sp = t - xp;
        self.comp += (self.sum - sp) + (x - xp);
        self.sum = t;
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// The buckets, in USD, cumulative since the start. Signs: costs are negative.
///
/// value = capital + price_effect + impermanent_loss + fees + rewards
///       + reward_price_change + interest + gas + swap_costs + vault_fees
///       + unreleased_profit + event_losses
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Attribution {
    /// Price moves of the tokens held, at the amounts held (the HODL effect).
    pub price_effect: Sum,
    /// The AMM's rebalancing against holding its tokens (≤ 0 with no fees).
    pub impermanent_loss: Sum,
    /// Trading fees earned, valued when earned.
    pub fees: Sum,
    /// Reward emissions earned, valued when earned.
    pub rewards: Sum,
    /// Price moves of reward tokens after they were earned.
    pub reward_price_change: Sum,
    /// Lending interest.
    pub interest: Sum,
    /// Gas paid (≤ 0).
    pub gas: Sum,
    /// Swap fees and price impact paid (≤ 0).
    pub swap_costs: Sum,
    /// Vault fees: performance, call, management, withdrawal (≤ 0).
    pub vault_fees: Sum,
    /// Harvested profit a vault has not yet released to depositors (≤ 0, back to 0 as it unlocks).
    pub unreleased_profit: Sum,
    /// Stress events: exploits' haircuts (≤ 0).
    pub event_losses: Sum,
}

/// An attribution bucket; its position in `Bucket::ALL` is its index in every bucket
/// array (`RunResult::attribution`, the per-step series), so no code indexes by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    PriceEffect,
    ImpermanentLoss,
    Fees,
    Rewards,
    RewardPriceChange,
    Interest,
    Gas,
    SwapCosts,
    VaultFees,
    UnreleasedProfit,
    EventLosses,
}

impl Bucket {
    /// Every bucket, in output order.
    pub const ALL: [Bucket; 11] = [
        Bucket::PriceEffect,
        Bucket::ImpermanentLoss,
        Bucket::Fees,
        Bucket::Rewards,
        Bucket::RewardPriceChange,
        Bucket::Interest,
        Bucket::Gas,
        Bucket::SwapCosts,
        Bucket::VaultFees,
        Bucket::UnreleasedProfit,
        Bucket::EventLosses,
    ];

    /// The bucket's column name (`<name>_usd` in the tables).
    pub const fn name(self) -> &'static str {
        match self {
            Bucket::PriceEffect => "price_effect",
            Bucket::ImpermanentLoss => "impermanent_loss",
            Bucket::Fees => "fees",
            Bucket::Rewards => "rewards",
            Bucket::RewardPriceChange => "reward_price_change",
            Bucket::Interest => "interest",
            Bucket::Gas => "gas",
            Bucket::SwapCosts => "swap_costs",
            Bucket::VaultFees => "vault_fees",
            Bucket::UnreleasedProfit => "unreleased_profit",
            Bucket::EventLosses => "event_losses",
        }
    }

    /// This bucket's value in a bucket array.
    #[inline]
    pub const fn of(self, values: &[f64; 11]) -> f64 {
        values[self as usize]
    }
}

/// Names of the buckets in output order.
pub const BUCKETS: [&str; 11] = {
    let mut names = [""; 11];
    let mut k = 0;
    while k < 11 {
        names[k] = Bucket::ALL[k].name();
        k += 1;
    }
    names
};

impl Attribution {
    pub fn values(&self) -> [f64; 11] {
        [
            self.price_effect.value(),
            self.impermanent_loss.value(),
            self.fees.value(),
            self.rewards.value(),
            self.reward_price_change.value(),
            self.interest.value(),
            self.gas.value(),
            self.swap_costs.value(),
            self.vault_fees.value(),
            self.unreleased_profit.value(),
            self.event_losses.value(),
        ]
    }

    /// Sum of all buckets.
    /// The sum of the buckets, for the identity check every step. Each bucket is already
    /// a compensated sum; adding the 11 of them plainly costs at most a few ulps of the
    /// largest, far below the check's tolerance, and a tenth of a compensated total.
    pub fn total(&self) -> f64 {
        self.values().iter().sum()
    }
}

/// What a ledger row records (the `action` column of events.csv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerAction {
    Deposit,
    Withdraw,
    Claim,
    Swap,
    SellRewards,
    Harvest,
    Rebalance,
    Bridge,
    Exploit,
    WithdrawalFee,
    Unbond,
    DepositWait,
    Skipped,
}

impl LedgerAction {
    pub const fn name(self) -> &'static str {
        match self {
            LedgerAction::Deposit => "deposit",
            LedgerAction::Withdraw => "withdraw",
            LedgerAction::Claim => "claim",
            LedgerAction::Swap => "swap",
            LedgerAction::SellRewards => "sell_rewards",
            LedgerAction::Harvest => "harvest",
            LedgerAction::Rebalance => "rebalance",
            LedgerAction::Bridge => "bridge",
            LedgerAction::Exploit => "exploit",
            LedgerAction::WithdrawalFee => "withdrawal_fee",
            LedgerAction::Unbond => "unbond",
            LedgerAction::DepositWait => "deposit_wait",
            LedgerAction::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for LedgerAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl From<crate::costs::ActionKind> for LedgerAction {
    fn from(k: crate::costs::ActionKind) -> Self {
        use crate::costs::ActionKind as K;
        match k {
            K::Deposit => LedgerAction::Deposit,
            K::Withdraw => LedgerAction::Withdraw,
            K::Claim => LedgerAction::Claim,
            K::Swap => LedgerAction::Swap,
            K::Harvest => LedgerAction::Harvest,
            K::Rebalance => LedgerAction::Rebalance,
            K::Bridge => LedgerAction::Bridge,
        }
    }
}

/// One discrete cash flow of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    pub step: usize,
    pub timestamp: i64,
    pub action: LedgerAction,
    /// The pool, market or asset acted on.
    pub target: String,
    /// Value moved by the action (USD).
    pub amount_usd: Decimal,
    pub gas_usd: Decimal,
    pub swap_cost_usd: Decimal,
    pub vault_fee_usd: Decimal,
    /// Why an action was skipped; empty otherwise.
    pub note: String,
}

/// f64 → Decimal at the reporting boundary: rounded half-even to 6 decimal places
/// (a millionth of a dollar); non-finite values (never expected) become zero.
pub fn usd(x: f64) -> Decimal {
    Decimal::from_f64(x)
        .map(|d| d.round_dp(6))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_keeps_small_terms() {
        let mut s = Sum::default();
        s.add(1e16);
        for _ in 0..1000 {
            s.add(1.0);
        }
        s.add(-1e16);
        assert_eq!(s.value(), 1000.0);
        let mut naive = 1e16f64;
        for _ in 0..1000 {
            naive += 1.0;
        }
        assert_ne!(naive - 1e16, 1000.0);
    }

    #[test]
    fn buckets_index_their_arrays_in_output_order() {
        let a = Attribution::default();
        let mut v = a.values();
        v[6] = -3.0;
        assert_eq!(Bucket::Gas.of(&v), -3.0);
        for (k, b) in Bucket::ALL.iter().enumerate() {
            assert_eq!(*b as usize, k);
            assert_eq!(BUCKETS[k], b.name());
        }
    }

    #[test]
    fn decimal_boundary_rounds_to_micro_dollars() {
        assert_eq!(usd(1.234_567_89).to_string(), "1.234568");
        assert_eq!(usd(f64::NAN), Decimal::ZERO);
    }
}
