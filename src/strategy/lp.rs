//! `lp`: constant-product liquidity in one pool (a concentrated pool is used full
//! range, which is the same math). Fees accrue into the position (as on-chain v2);
//! reward emissions, if the pool has them, are claimed every `claim_every`, or once
//! they are worth `claim_gas_multiple` × the gas of claiming them (and of selling them,
//! with `sell_rewards`), and sold.

use serde::{Deserialize, Serialize};

use super::in_range;
use crate::costs::ActionKind;
use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::Market;
use crate::units::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub pool: String,
    /// Claim rewards this often (e.g. "7d"); never when absent.
    #[serde(default)]
    pub claim_every: Option<Duration>,
    /// Claim rewards once their value reaches this multiple of the claim's gas (plus the
    /// sale's gas when they are sold), checked every step; instead of `claim_every`.
    #[serde(default)]
    pub claim_gas_multiple: Option<f64>,
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
            .as_ref()
            .map(|d| d.secs_of("claim_every"))
            .transpose()?;
        if let Some(m) = p.claim_gas_multiple {
            if claim_every.is_some() {
                return Err(
                    "give `claim_every` (a calendar) or `claim_gas_multiple` (a threshold), not both"
                        .into(),
                );
            }
            in_range("claim_gas_multiple", m, 0.0, 1e6)?;
        }
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
        let Some(id) = self.position else {
            return Ok(out);
        };
        if view.position(id).is_none() {
            return Ok(out);
        }
        let pending = view.pending_rewards_usd(id);
        let claim = match (self.claim_every, self.p.claim_gas_multiple) {
            (Some(every), _) => view.ts - self.last_claim >= every && pending > 0.0,
            (None, Some(multiple)) => {
                let chain = &view.pool(&self.p.pool)?.meta().chain;
                let mut gas = view.gas_usd(chain, ActionKind::Claim);
                if self.p.sell_rewards {
                    gas += view.gas_usd(chain, ActionKind::Swap);
                }
                pending > 0.0 && pending >= multiple * gas
            }
            (None, None) => false,
        };
        if claim {
            self.last_claim = view.ts;
            out.push(Action::Claim { position: id });
            if self.p.sell_rewards {
                out.push(Action::SellRewards);
            }
        }
        Ok(out)
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "lp";
    fn needs(&self) -> super::Needs {
        super::Needs::pool(&self.pool)
    }
    fn schedules(&self) -> Vec<(&'static str, &crate::units::Duration)> {
        self.claim_every
            .iter()
            .map(|d| ("claim_every", d))
            .collect()
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(Lp::new(self.clone())?))
    }
}
