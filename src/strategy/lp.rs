//! `lp`: constant-product liquidity in one pool (a concentrated pool is used full
//! range, which is the same math). Fees accrue into the position (as on-chain v2);
//! reward emissions, if the pool has them, are claimed every `claim_every` and sold.

use serde::{Deserialize, Serialize};

use super::duration;
use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::Market;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub pool: String,
    /// Claim rewards this often (e.g. "7d"); never when absent.
    #[serde(default)]
    pub claim_every: Option<String>,
    /// Sell claimed rewards for USD (else hold them).
    #[serde(default = "yes")]
    pub sell_rewards: bool,
}

fn yes() -> bool {
    true
}

pub struct Lp {
    p: Params,
    claim_every: Option<i64>,
    position: Option<u32>,
    last_claim: i64,
}

impl Lp {
    pub fn new(p: Params) -> Result<Lp, String> {
        let claim_every = p
            .claim_every
            .as_deref()
            .map(|d| duration("claim_every", d))
            .transpose()?;
        Ok(Lp {
            p,
            claim_every,
            position: None,
            last_claim: 0,
        })
    }
}

impl Strategy for Lp {
    fn pools(&self, _market: &Market) -> Vec<String> {
        vec![self.p.pool.clone()]
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        if view.i == 0 {
            self.position = Some(0);
            self.last_claim = view.ts;
            return Ok(vec![Action::Open {
                target: Target::Pool {
                    pool: self.p.pool.clone(),
                    range: None,
                    vault: false,
                },
                usd: None,
            }]);
        }
        let mut out = Vec::new();
        if let (Some(every), Some(id)) = (self.claim_every, self.position) {
            if view.portfolio.positions.get(&id).is_none() {
                return Ok(out);
            }
            if view.ts - self.last_claim >= every && view.pending_rewards_usd(id) > 0.0 {
                self.last_claim = view.ts;
                out.push(Action::Claim { position: id });
                if self.p.sell_rewards {
                    out.push(Action::SellRewards);
                }
            }
        }
        Ok(out)
    }
}
