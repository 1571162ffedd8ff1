//! Data quality for fees and marks: values that would distort a run's fees or its
//! valuation, found in the loaded rows before any alignment.
//!
//! * **Depth far off its neighbours**: an active liquidity (`liquidity`,
//!   `liquidity_mean`) or TVL value below 1/100 or above 100× the median of the rows on
//!   *both* sides of it (up to 5 each side, at least 2). A fee model divides by depth: one
//!   snapshot 10,000× too low hands a position 10,000× its fees. Both sides must
//!   disagree, so a pool's launch or a lasting drain is not flagged.
//! * **A price that jumps and reverts**: a pool or USD price further (in log terms, either
//!   direction) from the median of the rows on both sides than 25 % or ten times the
//!   series' median absolute step, whichever is larger — e.g. a DAI/USDT tick of 0.59
//!   among ticks of 1.00. A real crash is not flagged: the rows after it agree with it; a
//!   volatile token's ordinary day is not either: the bound scales with its own steps.
//! * **No depth with volume**: zero active liquidity in a bar with volume.
//!
//! What a run does with them is its `outliers` policy (strategy file, else the
//! manifest's `[dataset]`): `error` (the default) refuses the run naming each value,
//! `drop` treats the value as missing (a level carries the previous one), `keep` uses it;
//! the summary counts what was dropped or kept. `data check` lists them.

use serde::{Deserialize, Serialize};

use super::load::RawSeries;
use crate::market::Field;
use crate::units::{format_ts, Timestamp};

/// What a run does with flagged values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierPolicy {
    #[default]
    Error,
    Drop,
    Keep,
}

impl OutlierPolicy {
    pub fn name(self) -> &'static str {
        match self {
            OutlierPolicy::Error => "error",
            OutlierPolicy::Drop => "drop",
            OutlierPolicy::Keep => "keep",
        }
    }
}

/// One flagged value.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlier {
    pub field: Field,
    /// Index of the row in the series (after sorting).
    pub row: usize,
    pub ts: Timestamp,
    pub value: f64,
    /// Medians of the rows before and after it.
    pub before: f64,
    pub after: f64,
    pub why: &'static str,
}

impl Outlier {
    pub fn describe(&self, s: &RawSeries) -> String {
        format!(
            "{}: {} field '{}' at {}: {} {} (median of the rows before {}, after {})",
            s.file,
            s.label(),
            self.field,
            format_ts(self.ts),
            self.value,
            self.why,
            self.before,
            self.after
        )
    }
}

const WINDOW: usize = 5;
const MIN_SIDE: usize = 2;
const DEPTH_FACTOR: f64 = 100.0;
const PRICE_JUMP: f64 = 0.25;

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// The medians of up to `WINDOW` known values before and after row `k`.
fn sides(values: &[f64], k: usize) -> Option<(f64, f64)> {
    let before: Vec<f64> = values[..k]
        .iter()
        .rev()
        .filter(|x| x.is_finite())
        .take(WINDOW)
        .copied()
        .collect();
    let after: Vec<f64> = values[k + 1..]
        .iter()
        .filter(|x| x.is_finite())
        .take(WINDOW)
        .copied()
        .collect();
    if before.len() < MIN_SIDE || after.len() < MIN_SIDE {
        return None;
    }
    Some((median(before)?, median(after)?))
}

/// The flagged values of a series, in field then row order.
pub fn outliers(s: &RawSeries) -> Vec<Outlier> {
    let mut out = Vec::new();
    for (field, values) in &s.fields {
        let depth = matches!(
            field,
            Field::Liquidity | Field::LiquidityMean | Field::TvlUsd
        );
        let price = matches!(field, Field::Price | Field::PriceUsd);
        if !(depth || price) {
            continue;
        }
        // The price bound: 25 %, or ten times the series' median absolute log step.
        let jump = if price {
            let steps: Vec<f64> = values
                .windows(2)
                .filter(|w| w[0] > 0.0 && w[1] > 0.0 && w[0].is_finite() && w[1].is_finite())
                .map(|w| (w[1] / w[0]).ln().abs())
                .collect();
            median(steps).map_or((1.0 + PRICE_JUMP).ln(), |m| {
                (10.0 * m).max((1.0 + PRICE_JUMP).ln())
            })
        } else {
            0.0
        };
        for (k, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            if depth && v == 0.0 && *field != Field::TvlUsd {
                let traded = s
                    .fields
                    .get(&Field::VolumeUsd)
                    .and_then(|vol| vol.get(k))
                    .is_some_and(|x| *x > 0.0);
                if traded {
                    out.push(Outlier {
                        field: *field,
                        row: k,
                        ts: s.ts[k],
                        value: v,
                        before: f64::NAN,
                        after: f64::NAN,
                        why: "is zero active liquidity in a bar with volume",
                    });
                }
                continue;
            }
            let Some((b, a)) = sides(values, k) else {
                continue;
            };
            let why = if depth {
                if b > 0.0 && a > 0.0 && v < b / DEPTH_FACTOR && v < a / DEPTH_FACTOR {
                    Some("is below 1/100 of its neighbours")
                } else if v > b * DEPTH_FACTOR && v > a * DEPTH_FACTOR && b > 0.0 && a > 0.0 {
                    Some("is above 100x its neighbours")
                } else {
                    None
                }
            } else {
                let off = |m: f64| m > 0.0 && ((v / m).ln().abs() > jump);
                (off(b) && off(a) && (v > b) == (v > a)).then_some(
                    "jumps away from its neighbours on both sides and back (by more than 25 % and ten times the series' median step)",
                )
            };
            if let Some(why) = why {
                out.push(Outlier {
                    field: *field,
                    row: k,
                    ts: s.ts[k],
                    value: v,
                    before: b,
                    after: a,
                    why,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::SeriesKind;
    use std::collections::{BTreeMap, BTreeSet};

    fn series(field: Field, v: Vec<f64>) -> RawSeries {
        let n = v.len();
        let mut fields = BTreeMap::new();
        fields.insert(field, v);
        fields.insert(Field::VolumeUsd, vec![1.0; n]);
        RawSeries {
            kind: SeriesKind::Pool,
            id: "p".into(),
            file: "p.csv".into(),
            ts: (0..n as i64).map(|i| i * 3600).collect(),
            fields,
            optional: BTreeSet::new(),
            bar: 3600,
            obs_offset: 0,
            carry_limit: 7200,
            skipped_rows: 0,
        }
    }

    #[test]
    fn a_snapshot_far_below_both_sides_is_flagged_a_launch_is_not() {
        let mut v = vec![1e14; 11];
        v[5] = 1e10;
        let o = outliers(&series(Field::Liquidity, v));
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].row, 5);
        // Growth from nothing: every value is far below the later ones, none below both sides.
        let launch: Vec<f64> = (0..11).map(|k| 10f64.powi(k)).collect();
        assert!(outliers(&series(Field::Liquidity, launch)).is_empty());
        let mut zero = vec![1e14; 11];
        zero[3] = 0.0;
        assert_eq!(outliers(&series(Field::Liquidity, zero)).len(), 1);
    }

    #[test]
    fn a_price_that_jumps_and_reverts_is_flagged_a_crash_is_not() {
        let mut v = vec![1.0; 11];
        v[6] = 0.5913;
        let o = outliers(&series(Field::Price, v));
        assert_eq!(o.len(), 1);
        let crash: Vec<f64> = (0..11)
            .map(|k| if k < 5 { 2000.0 } else { 1000.0 })
            .collect();
        assert!(outliers(&series(Field::Price, crash)).is_empty());
    }
}
