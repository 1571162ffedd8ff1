//! Pool kinds: what decides how a pool's liquidity position is valued, earns fees and
//! swaps, one file per kind, each implementing [`Model`], found in one registry
//! (`kinds!` below). The engine, the fee models, the book and the data loader read a
//! kind's facts through the functions here, never by matching on the kind.
//!
//! | file | kind | coins | position's amounts | fees |
//! |---|---|---|---|---|
//! | `constant_product` | Uniswap v2 x·y = k | 2 | from the pool price | value share, compounded |
//! | `concentrated` | Uniswap v3 ranges | 2 | from the price and the range | active liquidity, held until collected |
//! | `stableswap` | Curve StableSwap | 2–4 | the invariant's state at the prices | value share, compounded |
//! | `weighted` | Balancer weighted pools | 2–4 | each coin at its weight of the value | value share, compounded |
//!
//! A lending market is a pool kind of the data (`PoolKind::Lending`) without a model:
//! it holds no liquidity position.

use serde::{Deserialize, Serialize};

pub mod concentrated;
pub mod constant_product;
pub mod stableswap;
pub mod weighted;

/// The most coins a pool position holds (a 4-coin StableSwap or weighted pool). Each
/// position carries its amounts in its hot unit cache, so the constant is as small as
/// the pools need: 4 measured no slower than 3 in the throughput benchmark (b).
pub const MAX_COINS: usize = 4;

/// Token amounts of a pool position, one per coin of its pool in the pool's order;
/// the slots past the pool's coins are 0.
pub type Amounts = [f64; MAX_COINS];

/// Static facts about a pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolMeta {
    pub id: String,
    pub kind: PoolKind,
    /// Chain name, as listed in the dataset's chains.
    pub chain: String,
    /// Token symbols in on-chain order (token0, token1, ...).
    pub tokens: Vec<String>,
    /// Token decimals in the same order, where known.
    pub decimals: Vec<u32>,
    /// Swap fee as a fraction (0.003 = 0.30 %), where known.
    pub fee: Option<f64>,
    /// StableSwap amplification A as on-chain (Ann = A·n), stableswap pools only.
    pub amplification: Option<f64>,
    /// Uniswap v3 tick spacing, concentrated pools only.
    pub tick_spacing: Option<i32>,
    /// Asset id of the reward token this pool emits, if any.
    pub reward_token: Option<String>,
    /// Reward tokens emitted to the whole pool per day, where the data has no
    /// `apy_reward` series (a farm's fixed emission rate).
    #[serde(default)]
    pub reward_per_day: Option<f64>,
    /// On-chain address, where known (lower-case hex).
    #[serde(default)]
    pub address: Option<String>,
    /// A weighted pool's coin weights, in token order, summing to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
}

/// How a kind's pool pays its liquidity providers, which decides the fee models that
/// can price it (`fees::FeeModel::candidates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeShape {
    /// Fees go to the liquidity active at the price (ranges): fee growth, volume over
    /// active liquidity, or events.
    ActiveLiquidity,
    /// Fees go to every LP by its share of the pool's value.
    ValueShare,
}

/// What a kind's per-step state is computed from.
pub struct StateInput<'a> {
    pub meta: &'a PoolMeta,
    /// The pool's price series (token1 per token0), where it has one.
    pub price: Option<&'a [f64]>,
    /// Each coin's USD price series, in token order.
    pub coins: &'a [&'a [f64]],
    pub steps: usize,
}

/// Why a kind's state cannot be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum StateError {
    /// The pool's metadata lacks what the kind needs (a message naming it).
    Spec(String),
    /// The math fails at a step (a message naming the pool).
    Numeric { step: usize, message: String },
}

/// What a swap's cost through a pool is computed from: the pool's depth at the step.
pub struct Depth<'a> {
    pub meta: &'a PoolMeta,
    /// USD of value sold.
    pub usd: f64,
    /// The pool's swap fee at the step.
    pub fee: f64,
    /// The pool's TVL at the step, where known and positive.
    pub tvl: Option<f64>,
    /// The active liquidity's depth in USD (concentrated pools), where known.
    pub active_usd: Option<f64>,
}

impl StateInput<'_> {
    /// Unit amounts at every step from the coins' USD prices through `at_prices` (the
    /// balances per unit of invariant at a step's prices); a step whose prices equal the
    /// previous step's reuses its amounts. A failure names the pool and the step.
    pub fn from_coin_prices(
        &self,
        at_prices: impl Fn(&[f64]) -> crate::amm::AmmResult<Vec<f64>>,
    ) -> Result<Vec<Amounts>, StateError> {
        let n = self.coins.len();
        if !(2..=MAX_COINS).contains(&n) {
            return Err(StateError::Spec(format!(
                "{} pool '{}' has {n} coins; a position holds 2 to {MAX_COINS}",
                self.meta.kind, self.meta.id
            )));
        }
        let mut out = Vec::with_capacity(self.steps);
        let mut last: Option<(Amounts, Amounts)> = None;
        for i in 0..self.steps {
            let mut prices = [0.0; MAX_COINS];
            for (j, s) in self.coins.iter().enumerate() {
                prices[j] = s[i];
            }
            let v = match last {
                Some((lp, v)) if lp == prices => v,
                _ => {
                    let b = at_prices(&prices[..n]).map_err(|e| StateError::Numeric {
                        step: i,
                        message: format!("pool '{}': {e}", self.meta.id),
                    })?;
                    let mut v = [0.0; MAX_COINS];
                    v[..n].copy_from_slice(&b);
                    v
                }
            };
            last = Some((prices, v));
            out.push(v);
        }
        Ok(out)
    }
}

/// A pool kind's model. Its file implements this for a unit struct; one line in
/// `kinds!` registers it.
pub trait Model {
    /// The kind's name in a manifest's `kind = "…"`; equal to the serde name of its
    /// `PoolKind` variant (a test checks).
    const NAME: &'static str;
    /// The fewest and most coins a position in such a pool holds.
    const COINS: (usize, usize);
    /// Whether a position may have a price range.
    const RANGES: bool = false;
    const FEES: FeeShape;
    /// Whether earned fees stay in the pool, growing the position (else they are held
    /// beside it until collected).
    const FEES_COMPOUND: bool;
    /// The kind's own `[[pools]]` parameters (`amplification`, `tick_spacing`,
    /// `weights`): another kind's pool that states one is refused.
    const PARAMS: &'static [&'static str] = &[];

    /// Whether a pool of `coins` coins is priced from its coins' USD prices (it has no
    /// single price) rather than its own price series.
    fn priced_by_coins(_coins: usize) -> bool {
        false
    }

    /// The kind's parameters checked (a message naming the field and its domain).
    fn check(_meta: &PoolMeta) -> Result<(), String> {
        Ok(())
    }

    /// The amounts of one unit of a position's liquidity at every step, where the kind
    /// computes them once per run (its state follows the prices through an invariant);
    /// `None` where they follow from the price at each step (`unit`).
    fn state(_x: &StateInput<'_>) -> Result<Option<Vec<Amounts>>, StateError> {
        Ok(None)
    }

    /// The amounts of token0 and token1 of one unit of liquidity at price `p` (token1 per
    /// token0), in the range `(√lower, √upper)` if any: for kinds without a `state`.
    fn unit(p: f64, range: Option<(f64, f64)>) -> [f64; 2];

    /// The cost in USD of selling `d.usd` of value through the pool; `None` where the
    /// pool's depth is not known.
    fn swap_cost(d: &Depth<'_>) -> Option<Result<f64, String>>;
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident => $module:ident,)*) => {
        /// The kind of protocol a pool is, which decides the math that marks it.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum PoolKind {
            $($(#[$doc])* $variant,)*
            /// A lending market (supply side), marked by its rate index.
            Lending,
        }

        impl PoolKind {
            /// The kinds of pool that hold liquidity positions (every kind but lending).
            pub const AMM: &'static [PoolKind] = &[$(PoolKind::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::NAME,)*
                    PoolKind::Lending => "lending",
                }
            }

            /// The fewest and most coins of a position (none for lending).
            pub fn coins(self) -> (usize, usize) {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::COINS,)*
                    PoolKind::Lending => (0, 0),
                }
            }

            pub fn ranges(self) -> bool {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::RANGES,)*
                    PoolKind::Lending => false,
                }
            }

            /// How the kind pays its LPs (`None`: lending, no LP fees).
            pub fn fee_shape(self) -> Option<FeeShape> {
                match self {
                    $(PoolKind::$variant => Some(<$module::Model as Model>::FEES),)*
                    PoolKind::Lending => None,
                }
            }

            pub fn fees_compound(self) -> bool {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::FEES_COMPOUND,)*
                    PoolKind::Lending => false,
                }
            }

            fn params(self) -> &'static [&'static str] {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::PARAMS,)*
                    PoolKind::Lending => &[],
                }
            }

            fn priced_by_coins_n(self, coins: usize) -> bool {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::priced_by_coins(coins),)*
                    PoolKind::Lending => false,
                }
            }

            fn check_params(self, meta: &PoolMeta) -> Result<(), String> {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::check(meta),)*
                    PoolKind::Lending => Ok(()),
                }
            }

            /// The amounts of one unit of liquidity per step, for kinds that compute
            /// them once per run (`Model::state`).
            pub fn state(self, x: &StateInput<'_>) -> Result<Option<Vec<Amounts>>, StateError> {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::state(x),)*
                    PoolKind::Lending => Ok(None),
                }
            }

            /// One unit of liquidity's token amounts at price `p` (`Model::unit`); the
            /// step loop's hot path.
            #[inline]
            pub fn unit(self, p: f64, range: Option<(f64, f64)>) -> [f64; 2] {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::unit(p, range),)*
                    PoolKind::Lending => [f64::NAN; 2],
                }
            }

            /// The cost of a swap through a pool of this kind (`Model::swap_cost`).
            pub fn swap_cost(self, d: &Depth<'_>) -> Option<Result<f64, String>> {
                match self {
                    $(PoolKind::$variant => <$module::Model as Model>::swap_cost(d),)*
                    PoolKind::Lending => None,
                }
            }
        }
    };
}

kinds! {
    /// Uniswap v2 style x·y = k.
    ConstantProduct => constant_product,
    /// Uniswap v3 style ranges.
    Concentrated => concentrated,
    /// Curve StableSwap.
    Stableswap => stableswap,
    /// Balancer-style weighted pools.
    Weighted => weighted,
}

impl PoolKind {
    /// An AMM kind by its name (`constant_product`, ...), or a message listing them.
    pub fn parse_amm(name: &str) -> Result<PoolKind, String> {
        Self::AMM
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::AMM.iter().map(|k| k.name()).collect();
                format!("--kind '{name}': use one of {}", names.join(", "))
            })
    }
}

impl std::fmt::Display for PoolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PoolMeta {
    /// Whether a position can hold this pool's coins: its kind holds liquidity and
    /// takes this many coins.
    pub fn holds_positions(&self) -> bool {
        let (lo, hi) = self.kind.coins();
        let n = self.tokens.len();
        lo > 0 && (lo..=hi.min(MAX_COINS)).contains(&n)
    }

    /// Whether the pool's state comes from its coins' USD prices rather than a price
    /// series of its own (3-coin StableSwap pools, weighted pools).
    pub fn priced_by_coins(&self) -> bool {
        self.holds_positions() && self.kind.priced_by_coins_n(self.tokens.len())
    }

    /// Why a position cannot hold this pool's coins, for a kind that holds positions.
    pub fn coins_error(&self) -> Option<String> {
        let (lo, hi) = self.kind.coins();
        let n = self.tokens.len();
        (lo > 0 && !self.holds_positions()).then(|| {
            let range = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo} to {}", hi.min(MAX_COINS))
            };
            format!(
                "pool '{}' has {n} coins; a {} position holds {range}",
                self.id, self.kind
            )
        })
    }

    /// The kind's parameters checked, and no other kind's parameter stated.
    pub fn check(&self) -> Result<(), String> {
        // The parameters a kind may own (`Model::PARAMS`), as `PoolMeta` fields.
        let given = [
            ("amplification", self.amplification.is_some()),
            ("tick_spacing", self.tick_spacing.is_some()),
            ("weights", self.weights.is_some()),
        ];
        for (name, is_given) in given {
            if is_given && !self.kind.params().contains(&name) {
                let takes: Vec<&str> = PoolKind::AMM
                    .iter()
                    .filter(|k| k.params().contains(&name))
                    .map(|k| k.name())
                    .collect();
                return Err(format!(
                    "`{name}` is a parameter of {} pools; this pool is {}: remove it or correct `kind`",
                    takes.join(" and "),
                    self.kind
                ));
            }
        }
        self.kind.check_params(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kinds_name_is_its_serde_name() {
        for k in PoolKind::AMM.iter().chain([&PoolKind::Lending]) {
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
            assert_eq!(
                PoolKind::parse_amm(k.name()).ok(),
                (*k != PoolKind::Lending).then_some(*k)
            );
        }
    }

    #[test]
    fn a_parameter_of_another_kind_is_refused() {
        let meta = PoolMeta {
            id: "p".into(),
            kind: PoolKind::ConstantProduct,
            chain: "ethereum".into(),
            tokens: vec!["A".into(), "B".into()],
            decimals: vec![],
            fee: Some(0.003),
            amplification: None,
            tick_spacing: None,
            reward_token: None,
            reward_per_day: None,
            address: None,
            weights: Some(vec![0.8, 0.2]),
        };
        let e = meta.check().unwrap_err();
        assert!(
            e.contains("`weights` is a parameter of weighted pools"),
            "{e}"
        );
        let w = PoolMeta {
            kind: PoolKind::Weighted,
            ..meta.clone()
        };
        assert!(w.check().is_ok());
        let bad = PoolMeta {
            weights: Some(vec![0.8, 0.3]),
            ..w.clone()
        };
        assert!(bad.check().unwrap_err().contains("weights"));
        let none = PoolMeta { weights: None, ..w };
        assert!(none.check().unwrap_err().contains("weights"));
    }
}
