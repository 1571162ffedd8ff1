//! `lend`: supply an asset to a lending market at its historical supply APR (or stake a
//! single asset at an APR series given as a rate market): interest compounds every
//! second, no impermanent loss; the asset's own price moves are the price effect.

use serde::{Deserialize, Serialize};

use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::Market;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The rate series (a `rate` series id of the dataset).
    pub market: String,
    /// The asset supplied; its USD price comes from the dataset ("USD" for dollars).
    pub asset: String,
    /// The chain the market is on (for gas), default "ethereum".
    #[serde(default = "ethereum")]
    pub chain: String,
}

fn ethereum() -> String {
    "ethereum".into()
}

impl Params {
    pub fn needs(&self) -> super::Needs {
        super::Needs {
            assets: vec![self.asset.clone()],
            chains: vec![self.chain.clone()],
            rates: vec![self.market.clone()],
            ..Default::default()
        }
    }
}

pub struct Lend {
    p: Params,
}

impl Lend {
    pub fn new(p: Params) -> Result<Lend, String> {
        Ok(Lend { p })
    }
}

impl Strategy for Lend {
    fn pools(&self, _market: &Market) -> Vec<String> {
        Vec::new()
    }

    fn assets(&self) -> Vec<String> {
        vec![self.p.asset.clone()]
    }

    fn chains(&self) -> Vec<String> {
        vec![self.p.chain.clone()]
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        if view.i != 0 {
            return Ok(Vec::new());
        }
        Ok(vec![Action::Open {
            target: Target::Lend {
                market: self.p.market.clone(),
                asset: self.p.asset.clone(),
                chain: self.p.chain.clone(),
                vault: false,
            },
            usd: None,
        }])
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "lend";
    fn needs(&self) -> super::Needs {
        Params::needs(self)
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(Lend::new(self.clone())?))
    }
}
