//! `custom`: a strategy written in Rust outside this crate, run through the library
//! (`batch::Plan::run_with`; docs/extending.md walks through `examples/custom_strategy.rs`).
//! Its strategy file states what it reads from the market, since no kind's file here
//! knows, and whatever parameters the strategy takes, which it reads itself:
//!
//! ```toml
//! [strategy]
//! kind = "custom"
//! name = "lend_above"          # the strategy's own name, for the report
//! rates = ["usdc_lending"]     # lending markets read
//! assets = ["USDC"]            # assets priced
//! chains = ["ethereum"]        # chains whose gas it pays
//! pools = []                   # pools read
//! [strategy.params]            # anything; the strategy parses it
//! min_apr = 0.02
//! ```
//!
//! The command line cannot build such a strategy and says so.

use serde::{Deserialize, Serialize};

use super::Needs;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
    #[serde(default)]
    pub pools: Vec<String>,
    #[serde(default)]
    pub assets: Vec<String>,
    #[serde(default)]
    pub chains: Vec<String>,
    #[serde(default)]
    pub rates: Vec<String>,
    #[serde(default)]
    pub params: toml::Table,
}

impl Params {
    pub fn needs(&self) -> Needs {
        Needs {
            pools: self.pools.clone(),
            assets: self.assets.clone(),
            chains: self.chains.clone(),
            rates: self.rates.clone(),
            yield_pools: false,
        }
    }

    /// Why the command line cannot run it.
    pub fn not_built_in(&self) -> String {
        format!(
            "kind = \"custom\" ('{}') is a strategy written in Rust: run it through the library with batch::Plan::run_with (docs/extending.md)",
            self.name
        )
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "custom";
    fn needs(&self) -> Needs {
        Params::needs(self)
    }
    /// A custom strategy is compiled by its author, not built from its file.
    fn build(&self) -> Result<Box<dyn crate::engine::Strategy>, String> {
        Err(self.not_built_in())
    }
}
