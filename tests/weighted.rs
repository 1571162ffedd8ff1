//! An 80/20 weighted-pool LP position (strategies/weighted_lp.toml on the embedded data:
//! FARM/WETH, Balancer-like): marked through the weighted invariant at its coins' USD
//! prices, so its impermanent loss is Π rᵢ^wᵢ / Σ wᵢ·rᵢ − 1 of their moves, well short
//! of what a 50/50 pool loses to the same moves; a manifest's bad weights are refused
//! with the field named.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use yieldlab::amm::weighted::impermanent_loss;
use yieldlab::batch::run_files;
use yieldlab::engine::Bucket;

const WEIGHTS: [f64; 2] = [0.8, 0.2];

/// The embedded data's hourly USD prices of FARM and ETH (WETH's price), by timestamp.
fn coin_prices() -> BTreeMap<i64, [f64; 2]> {
    let mut out: BTreeMap<i64, [f64; 2]> = BTreeMap::new();
    let mut r = csv::Reader::from_path(common::repo().join("data/prices.csv")).unwrap();
    for row in r.records() {
        let row = row.unwrap();
        if let Some(j) = ["FARM", "ETH"].iter().position(|c| *c == &row[1]) {
            out.entry(row[0].parse().unwrap()).or_default()[j] = row[2].parse().unwrap();
        }
    }
    out
}

/// The shipped strategy over `[start, end)`, written into `dir`.
fn strategy(dir: &Path, window: &str) -> std::path::PathBuf {
    let text = common::shipped_file_text("strategies/weighted_lp.toml");
    let text = text.replace(
        "capital_usd = 100000",
        &format!("capital_usd = 100000\n{window}"),
    );
    let p = dir.join("weighted_lp.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_impermanent_loss_is_the_weighted_invariants() {
    let dir = tempfile::tempdir().unwrap();
    // Two months: FARM falls, ETH falls less; the fees compounded in the window are a
    // small part of the position, so its IL is the principal's.
    let file = strategy(dir.path(), "start = \"2022-01-01\"\nend = \"2022-03-01\"");
    let out = run_files(&[file], None).expect("the run");
    let o = &out[0];
    let s = &o.result.series;
    let prices = coin_prices();
    let at = |k: usize| prices[&o.result.grid.at(k)];
    let last = s.value.len() - 1;
    let (p0, p) = (at(0), at(last));
    let r = [p[0] / p0[0], p[1] / p0[1]];
    assert!(
        (r[0] - r[1]).abs() > 0.05,
        "the coins must move apart: {r:?}"
    );
    let il_usd = Bucket::ImpermanentLoss.of(&s.buckets[last]);
    // The position less its IL is its deposited coins' value (the wallet holds only
    // the gas reserve, a few dollars).
    let got = il_usd / (s.value[last] - il_usd);
    let want = impermanent_loss(&WEIGHTS, &r).unwrap();
    assert!(want < -0.002, "the invariant's IL for {r:?}: {want}");
    assert!(
        (got / want - 1.0).abs() < 0.03,
        "IL {got:.6} of the deposit against the invariant's {want:.6} (ratios {r:?})"
    );
    // A 50/50 pool loses more to the same moves.
    let even = impermanent_loss(&[0.5, 0.5], &r).unwrap();
    assert!(even < 1.5 * want, "50/50 {even} against 80/20 {want}");
    // Fees stay in the pool: they are earned and compound.
    assert!(Bucket::Fees.of(&o.result.attribution) > 0.0);
    assert_eq!(o.result.fee_models[0].model, "tvl_share");
}

/// The embedded data copied into `dir/data`, its manifest's weighted pool's weights
/// line replaced by `line`, and the shipped strategy beside it: the run's exit code and
/// stderr.
fn run_with_weights(line: &str, kind: Option<&str>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = common::copy_embedded_data(dir.path());
    let m = std::fs::read_to_string(data.join("manifest.toml")).unwrap();
    let mut m = m.replace("weights = [0.8, 0.2]", line);
    if let Some(k) = kind {
        m = m.replace(
            "id = \"farm_weth_8020\"\nkind = \"weighted\"",
            &format!("id = \"farm_weth_8020\"\nkind = \"{k}\""),
        );
    }
    std::fs::write(data.join("manifest.toml"), m).unwrap();
    let text = std::fs::read_to_string(common::repo().join("strategies/weighted_lp.toml"))
        .unwrap()
        .replace("../data/manifest.toml", "data/manifest.toml");
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let run = common::yieldlab(&["run", "s.toml", "--out", "out"], dir.path());
    assert!(
        !dir.path().join("out").exists(),
        "no report on bad input: {}",
        run.stderr
    );
    (run.code, run.stderr)
}

#[test]
fn bad_weights_are_refused_naming_the_field() {
    let (code, err) = run_with_weights("weights = [0.8, 0.3]", None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("manifest.toml")
            && err.contains("farm_weth_8020")
            && err.contains("`weights`")
            && err.contains("sum of the weights"),
        "{err}"
    );
    let (code, err) = run_with_weights("", None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs `weights`"), "{err}");
    let (code, err) = run_with_weights("weights = [0.8, 0.1, 0.1]", None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`weights` has 3 entries but `tokens` has 2"),
        "{err}"
    );
    // Weights on a constant-product pool are another kind's parameter.
    let (code, err) = run_with_weights("weights = [0.8, 0.2]", Some("constant_product"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`weights` is a parameter of weighted pools"),
        "{err}"
    );
}

/// The embedded data with a weighted pool of `tokens` (equal weights; the 80/20 pool's
/// volume and TVL as its series) and an `lp` strategy on it over two months, in a
/// temporary folder: the run's exit code, stderr and (on success) the summary row.
fn run_equal_weights(tokens: &[&str]) -> (tempfile::TempDir, common::Run) {
    let dir = tempfile::tempdir().unwrap();
    let data = common::copy_embedded_data(dir.path());
    let w = 1.0 / tokens.len() as f64;
    let list = |v: Vec<String>| v.join(", ");
    let m = std::fs::read_to_string(data.join("manifest.toml")).unwrap();
    let m = m
        + &format!(
            "\n[[pools]]\nid = \"basket\"\nkind = \"weighted\"\nchain = \"ethereum\"\ntokens = [{}]\nfee = 0.003\nweights = [{}]\n\n[[files]]\npath = \"pool_farm_weth_8020.csv\"\nkind = \"pool\"\nid = \"basket\"\ntimestamp = \"timestamp\"\ncolumns = {{ volume_usd = \"volume_usd\", tvl_usd = \"tvl_usd\" }}\n",
            list(tokens.iter().map(|t| format!("\"{t}\"")).collect()),
            list(tokens.iter().map(|_| format!("{w}")).collect())
        );
    std::fs::write(data.join("manifest.toml"), m).unwrap();
    let s = "description = \"equal-weight basket\"\ndata = \"data/manifest.toml\"\ncapital_usd = 100000\nstart = \"2022-01-01\"\nend = \"2022-03-01\"\n\n[strategy]\nkind = \"lp\"\npool = \"basket\"\n";
    std::fs::write(dir.path().join("s.toml"), s).unwrap();
    let run = common::yieldlab(&["run", "s.toml", "--out", "out"], dir.path());
    (dir, run)
}

#[test]
fn a_four_coin_pool_runs_and_a_five_coin_pool_is_refused() {
    let (dir, run) = run_equal_weights(&["FARM", "WETH", "USDC", "DAI"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut r = csv::Reader::from_path(dir.path().join("out/summary.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let row = r.records().next().unwrap().unwrap();
    let cell = |c: &str| -> f64 {
        row[head.iter().position(|h| h == c).unwrap()]
            .parse()
            .unwrap()
    };
    // Its IL is the four-coin invariant's for the coins' moves over the window.
    let prices = std::fs::read_to_string(common::repo().join("data/prices.csv")).unwrap();
    let at = |t: &str, a: &str| -> f64 {
        prices
            .lines()
            .find(|l| l.starts_with(t) && l.split(',').nth(1) == Some(a))
            .and_then(|l| l.split(',').nth(2))
            .unwrap()
            .parse()
            .unwrap()
    };
    let (t0, t1) = ("1640995200,", "1646092800,"); // 2022-01-01, 2022-03-01
    let assets = ["FARM", "ETH", "USDC", "DAI"];
    let ratios: Vec<f64> = assets.iter().map(|a| at(t1, a) / at(t0, a)).collect();
    let want = impermanent_loss(&[0.25; 4], &ratios).unwrap();
    let il = cell("impermanent_loss_usd");
    let got = il / (cell("final_value_usd") - il);
    assert!(want < -0.002, "{want} for {ratios:?}");
    // The last step is an hour before the end: its prices, not the end's, mark it.
    assert!((got / want - 1.0).abs() < 0.02, "IL {got} against {want}");
    let (_dir, run) = run_equal_weights(&["FARM", "WETH", "USDC", "USDT", "DAI"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("has 5 coins") && run.stderr.contains("2 to 4"),
        "{}",
        run.stderr
    );
}
