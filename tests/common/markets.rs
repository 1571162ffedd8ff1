//! Small hand-checkable markets for the engine tests: pool metadata and a builder of
//! hourly series from functions of the step.

use std::collections::BTreeMap;

use yieldlab::market::*;
use yieldlab::strategy::{autocompound, StrategyParams};
use yieldlab::units::HOUR;

/// 2022-01-01T00:00:00Z.
pub const START: i64 = 1_640_995_200;

/// Metadata of a two-token Ethereum pool (decimals 18/6, A = 100, tick spacing 10).
pub fn meta(id: &str, kind: PoolKind, tokens: [&str; 2], fee: f64) -> PoolMeta {
    PoolMeta {
        id: id.into(),
        kind,
        chain: "ethereum".into(),
        tokens: tokens.iter().map(|s| s.to_string()).collect(),
        decimals: vec![18, 6],
        fee: Some(fee),
        amplification: Some(100.0),
        tick_spacing: Some(10),
        reward_token: None,
        reward_per_day: None,
        address: None,
        weights: None,
    }
}

/// A market of `n` hourly steps from `START`, built series by series.
pub struct Mk {
    pub m: Market,
    n: usize,
}

impl Mk {
    pub fn new(n: usize) -> Mk {
        Mk {
            m: Market {
                grid: TimeGrid {
                    start: START,
                    step: HOUR,
                    len: n,
                },
                pools: BTreeMap::new(),
                prices: BTreeMap::new(),
                gas: BTreeMap::new(),
                rates: BTreeMap::new(),
            },
            n,
        }
    }

    pub fn price(mut self, asset: &str, f: impl Fn(usize) -> f64) -> Mk {
        self.m.prices.insert(
            asset.into(),
            PriceSeries {
                asset: asset.into(),
                price_usd: (0..self.n).map(f).collect(),
            },
        );
        self
    }

    /// Ethereum's gas price (gwei), ETH its native asset.
    pub fn gas(mut self, f: impl Fn(usize) -> f64) -> Mk {
        self.m.gas.insert(
            "ethereum".into(),
            GasSeries {
                chain: ChainMeta {
                    name: "ethereum".into(),
                    native_asset: "ETH".into(),
                },
                gas_price_gwei: (0..self.n).map(f).collect(),
            },
        );
        self
    }

    pub fn pool(mut self, meta: PoolMeta, fields: &[(Field, &dyn Fn(usize) -> f64)]) -> Mk {
        let f = fields
            .iter()
            .map(|(k, g)| (*k, (0..self.n).map(g).collect()))
            .collect();
        self.m.pools.insert(
            meta.id.clone(),
            PoolSeries {
                meta,
                fields: f,
                partial: Default::default(),
                events: None,
            },
        );
        self
    }
}

/// A vault on pool "farm" harvesting every `interval`.
pub fn vault(interval: &str) -> StrategyParams {
    StrategyParams::Autocompound(autocompound::Params {
        pool: Some("farm".into()),
        market: None,
        asset: None,
        chain: None,
        harvest: autocompound::Policy::Interval,
        interval: Some(interval.parse().unwrap()),
        gas_multiple: None,
        deposit_trigger_pct: None,
    })
}
