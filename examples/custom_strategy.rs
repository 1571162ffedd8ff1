//! A strategy written outside yieldlab and run through its library, with the report the
//! command line writes (docs/extending.md walks through it).
//!
//! `lend_above` supplies an asset to a lending market while the market's supply APR is
//! at least `min_apr`, and withdraws to cash while it is below: every switch pays its
//! gas, and the report shows whether chasing the rate paid for it.
//!
//! Run: `cargo run --example custom_strategy -- examples/lend_above.toml reports/lend_above`

use std::path::{Path, PathBuf};

use yieldlab::batch::{self, BatchOptions};
use yieldlab::engine::{Action, EngineError, Strategy, Target, View};
use yieldlab::market::{Field, Market};
use yieldlab::strategy::StrategyParams;

/// The strategy: its parameters and what it holds.
pub struct LendAbove {
    market: String,
    asset: String,
    chain: String,
    min_apr: f64,
    /// The position it supplied, while it holds one (the engine tells it the id).
    supplied: Option<u32>,
}

impl LendAbove {
    /// Built from the `[strategy.params]` of its file (`kind = "custom"`).
    pub fn from_params(params: &StrategyParams) -> Result<LendAbove, String> {
        let StrategyParams::Custom(c) = params else {
            return Err(format!("expected kind = \"custom\", got {}", params.kind()));
        };
        let text = |key: &str| -> Result<String, String> {
            c.params
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("[strategy.params] needs `{key}` (text)"))
        };
        let min_apr = c
            .params
            .get("min_apr")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .ok_or("[strategy.params] needs `min_apr` (a fraction per year)")?;
        if !(0.0..=1.0).contains(&min_apr) {
            return Err(format!("min_apr = {min_apr} must be between 0 and 1"));
        }
        Ok(LendAbove {
            market: text("market")?,
            asset: text("asset")?,
            chain: text("chain")?,
            min_apr,
            supplied: None,
        })
    }
}

impl Strategy for LendAbove {
    fn pools(&self, _market: &Market) -> Vec<String> {
        Vec::new()
    }

    fn assets(&self) -> Vec<String> {
        vec![self.asset.clone()]
    }

    fn chains(&self) -> Vec<String> {
        vec![self.chain.clone()]
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        // The market's supply APR up to this step; its last value is this step's.
        let apr = view
            .rate(&self.market, Field::SupplyApr)
            .and_then(|s| s.last().copied())
            .ok_or_else(|| {
                EngineError::Spec(format!("market '{}' has no supply_apr", self.market))
            })?;
        Ok(match self.supplied {
            None if apr >= self.min_apr => vec![Action::Open {
                target: Target::Lend {
                    market: self.market.clone(),
                    asset: self.asset.clone(),
                    chain: self.chain.clone(),
                    vault: false,
                },
                usd: None,
            }],
            Some(id) if apr < self.min_apr => {
                self.supplied = None;
                vec![Action::Close { position: id }]
            }
            _ => Vec::new(),
        })
    }

    fn opened(&mut self, _index: usize, id: u32) {
        self.supplied = Some(id);
    }

    fn skipped(&mut self, _index: usize, action: &Action, _reason: &str) {
        // A withdrawal the portfolio could not pay for: the supply is still held.
        if let Action::Close { position } = action {
            self.supplied = Some(*position);
        }
    }
}

/// Runs the strategy file `file` and writes its report into `out`, as `yieldlab run`
/// writes one.
pub fn run(file: &Path, out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let plan = batch::plan(&[file.to_path_buf()], &BatchOptions::default())?;
    let mut outputs = Vec::new();
    for job in &plan.jobs {
        let mut strategy = LendAbove::from_params(&job.spec.params)?;
        outputs.push(plan.run_with(job, &mut strategy)?);
    }
    yieldlab::report::write(&outputs, out, yieldlab::report::WriteOptions::default())?;
    Ok(())
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = PathBuf::from(
        args.first()
            .map_or("examples/lend_above.toml", String::as_str),
    );
    let out = PathBuf::from(args.get(1).map_or("reports/lend_above", String::as_str));
    match run(&file, &out) {
        Ok(()) => println!("wrote {}", out.display()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
