//! Who won and why: runs ranked by net APY after every cost (after the exit, where it
//! could be priced), each against its HODL and the lending baseline, with the
//! attribution buckets that moved it most. Computed here; `report` only renders it.

use crate::engine::Bucket;

/// What the verdict needs of one run.
#[derive(Debug, Clone)]
pub struct RunFigures {
    pub name: String,
    pub final_value: f64,
    pub apy: f64,
    /// APY on the liquidation value (after closing everything), where it was priced.
    pub liquidation_apy: Option<f64>,
    pub hodl_final: f64,
    pub hodl_apy: f64,
    /// The lending baseline's final value and APY, where one covers the run.
    pub lend: Option<(f64, f64)>,
    /// The attribution buckets at the end, in `BUCKETS` order.
    pub buckets: [f64; 11],
}

/// One run's line of the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub name: String,
    /// The APY the ranking used: after the exit where priced, else the mark-to-market APY.
    pub rank_apy: f64,
    pub after_exit: bool,
    pub apy: f64,
    pub vs_hodl_usd: f64,
    pub hodl_apy: f64,
    pub vs_lend_usd: Option<f64>,
    pub lend_apy: Option<f64>,
    /// The one or two buckets with the largest effect other than market moves, (name,
    /// USD), largest first; a second only where it is at least a quarter of the first.
    pub deciding: Vec<(Bucket, f64)>,
    /// Market moves (the price effect) outweighed every other bucket.
    pub market_driven: bool,
}

/// An APY as a ranking key: a run whose APY is not a number (failed, empty) ranks last.
/// The one rule for every ranking of runs (the verdict, `best:N`, the charts' best runs).
pub fn rank_key(apy: f64) -> f64 {
    if apy.is_nan() {
        f64::NEG_INFINITY
    } else {
        apy
    }
}

/// Runs ranked best first (ties keep input order). A run whose APY is not a number
/// (a failed or empty run) ranks last.
pub fn rank(runs: &[RunFigures]) -> Vec<Ranked> {
    let mut v: Vec<Ranked> = runs.iter().map(ranked).collect();
    v.sort_by(|a, b| rank_key(b.rank_apy).total_cmp(&rank_key(a.rank_apy)));
    v
}

fn ranked(r: &RunFigures) -> Ranked {
    let (rank_apy, after_exit) = match r.liquidation_apy {
        Some(a) if a.is_finite() => (a, true),
        _ => (r.apy, false),
    };
    let mut others: Vec<(Bucket, f64)> = Bucket::ALL
        .iter()
        .map(|b| (*b, b.of(&r.buckets)))
        .filter(|(b, x)| *b != Bucket::PriceEffect && x.is_finite() && x.abs() >= 0.005)
        .collect();
    others.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let mut deciding: Vec<(Bucket, f64)> = others.iter().take(1).copied().collect();
    if let (Some(first), Some(second)) = (others.first(), others.get(1)) {
        if second.1.abs() >= 0.25 * first.1.abs() {
            deciding.push(*second);
        }
    }
    let price = Bucket::PriceEffect.of(&r.buckets);
    let market_driven = price.is_finite() && others.first().is_none_or(|f| price.abs() > f.1.abs());
    Ranked {
        name: r.name.clone(),
        rank_apy,
        after_exit,
        apy: r.apy,
        vs_hodl_usd: r.final_value - r.hodl_final,
        hodl_apy: r.hodl_apy,
        vs_lend_usd: r.lend.map(|(f, _)| r.final_value - f),
        lend_apy: r.lend.map(|(_, a)| a),
        deciding,
        market_driven,
    }
}

/// A bucket's name in words.
pub fn bucket_words(b: Bucket) -> &'static str {
    match b {
        Bucket::PriceEffect => "market moves",
        Bucket::ImpermanentLoss => "impermanent loss",
        Bucket::Fees => "trading fees",
        Bucket::Rewards => "rewards",
        Bucket::RewardPriceChange => "reward token price change",
        Bucket::Interest => "interest",
        Bucket::Gas => "gas",
        Bucket::SwapCosts => "swap costs",
        Bucket::VaultFees => "vault fees",
        Bucket::UnreleasedProfit => "profit not yet released",
        Bucket::EventLosses => "stress-event losses",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, apy: f64, liq: Option<f64>, buckets: [f64; 11]) -> RunFigures {
        RunFigures {
            name: name.into(),
            final_value: 1000.0 + buckets.iter().sum::<f64>(),
            apy,
            liquidation_apy: liq,
            hodl_final: 1000.0,
            hodl_apy: 0.0,
            lend: Some((1030.0, 0.03)),
            buckets,
        }
    }

    #[test]
    fn ranks_by_apy_after_the_exit_and_names_what_decided() {
        let mut lp = [0.0; 11];
        lp[Bucket::ImpermanentLoss as usize] = -40.0;
        lp[Bucket::Fees as usize] = 150.0;
        lp[Bucket::Gas as usize] = -5.0; // under a quarter of the fees: not named
        let mut lend = [0.0; 11];
        lend[Bucket::Interest as usize] = 30.0;
        // The LP is ahead before the exit, behind after it.
        let v = rank(&[
            run("lp", 0.11, Some(0.02), lp),
            run("lend", 0.03, None, lend),
            run("broken", f64::NAN, None, [0.0; 11]),
        ]);
        let names: Vec<&str> = v.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["lend", "lp", "broken"]);
        assert!(v[1].after_exit && !v[0].after_exit);
        assert_eq!(
            v[1].deciding,
            vec![(Bucket::Fees, 150.0), (Bucket::ImpermanentLoss, -40.0)]
        );
        assert_eq!(v[0].deciding, vec![(Bucket::Interest, 30.0)]);
        assert_eq!(v[0].vs_lend_usd, Some(0.0));
        assert!(!v[1].market_driven);
        let mut hodl = [0.0; 11];
        hodl[Bucket::PriceEffect as usize] = 500.0;
        hodl[Bucket::Gas as usize] = -1.0;
        assert!(ranked(&run("hodl", 0.5, None, hodl)).market_driven);
    }
}
