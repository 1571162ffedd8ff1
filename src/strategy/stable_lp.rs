//! `stable_lp`: liquidity in a StableSwap pool of 2 to 4 coins. The position is marked
//! through the invariant at the pool's prices each step (a two-coin pool's price, or a
//! 3-coin pool's coins' USD prices), so a depeg (the pool filling up with the coin
//! that lost its peg) shows as impermanent loss; fees compound into the position.

use serde::{Deserialize, Serialize};

use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::Market;
use crate::market::PoolKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub pool: String,
}

pub struct StableLp {
    p: Params,
}

impl StableLp {
    pub fn new(p: Params) -> Result<StableLp, String> {
        Ok(StableLp { p })
    }
}

impl Strategy for StableLp {
    fn pools(&self, _market: &Market) -> Vec<String> {
        vec![self.p.pool.clone()]
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        if view.i != 0 {
            return Ok(Vec::new());
        }
        let kind = view.pool(&self.p.pool)?.meta().kind;
        if kind != PoolKind::Stableswap {
            return Err(EngineError::Spec(format!(
                "stable_lp needs a stableswap pool; '{}' is {kind}",
                self.p.pool
            )));
        }
        Ok(vec![Action::Open {
            target: Target::Pool {
                pool: self.p.pool.clone(),
                range: None,
                vault: false,
            },
            usd: None,
        }])
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "stable_lp";
    fn needs(&self) -> super::Needs {
        super::Needs::pool(&self.pool)
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(StableLp::new(self.clone())?))
    }
}
