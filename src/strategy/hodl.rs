//! `hodl`: hold the initial tokens — 50/50 of a pool's two tokens, or given weights of
//! assets — and do nothing. The baseline every report compares against.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{Action, EngineError, Strategy, View};
use crate::market::Market;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Hold 50/50 of this pool's two tokens ...
    #[serde(default)]
    pub pool: Option<String>,
    /// ... or these assets in these weights (normalised).
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

impl Params {
    pub fn needs(&self) -> super::Needs {
        super::Needs {
            pools: self.pool.iter().cloned().collect(),
            assets: self.weights.keys().cloned().collect(),
            ..Default::default()
        }
    }
}

pub struct Hodl {
    p: Params,
    tokens: Vec<(String, f64)>,
}

impl Hodl {
    pub fn new(p: Params) -> Result<Hodl, String> {
        match (&p.pool, p.weights.is_empty()) {
            (Some(_), false) => Err("give either `pool` or `weights`, not both".into()),
            (None, true) => {
                Err("give `pool` (50/50 of its tokens) or `weights` (asset = weight)".into())
            }
            _ => {
                for (a, w) in &p.weights {
                    if !(w.is_finite() && *w > 0.0) {
                        return Err(format!("weight of {a} = {w} must be > 0"));
                    }
                }
                let tokens = p.weights.iter().map(|(a, w)| (a.clone(), *w)).collect();
                Ok(Hodl { p, tokens })
            }
        }
    }
}

impl Strategy for Hodl {
    fn pools(&self, _market: &Market) -> Vec<String> {
        self.p.pool.iter().cloned().collect()
    }

    fn assets(&self) -> Vec<String> {
        self.tokens.iter().map(|t| t.0.clone()).collect()
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        if view.i != 0 {
            return Ok(Vec::new());
        }
        let weights = match &self.p.pool {
            Some(pool) => view
                .pool(pool)?
                .meta()
                .tokens
                .iter()
                .map(|t| (t.clone(), 1.0))
                .collect(),
            None => self.tokens.clone(),
        };
        Ok(vec![Action::Hold { weights }])
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "hodl";
    fn needs(&self) -> super::Needs {
        Params::needs(self)
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(Hodl::new(self.clone())?))
    }
}
