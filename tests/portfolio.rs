//! `portfolio`: legs run as they would alone on their share, rebalances between them
//! bring the shares back to the weights and pay their costs, and what a leg cannot be
//! is refused with the reason.

mod common;

use std::path::Path;

use yieldlab::batch::run_files;
use yieldlab::engine::{Bucket, LedgerAction};
use yieldlab::run::RunOutput;

fn write(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    let data = common::repo().join("data/manifest.toml");
    let text = format!(
        "data = {:?}\nstart = \"2022-01-01\"\nend = \"2022-12-31\"\n{body}",
        data.to_str().unwrap()
    );
    std::fs::write(&p, text).unwrap();
    p
}

const LEND: &str = "kind = \"lend\"\nmarket = \"usdc_lending\"\nasset = \"USDC\"\n";
const STABLE: &str = "kind = \"stable_lp\"\npool = \"usdc_usdt_stable\"\n";

fn portfolio(rule: &str) -> String {
    format!(
        "capital_usd = 100000\n[strategy]\nkind = \"portfolio\"\n{rule}\n[[strategy.legs]]\nweight = 0.5\n{LEND}[[strategy.legs]]\nweight = 0.5\n{STABLE}"
    )
}

fn run(paths: &[std::path::PathBuf]) -> Vec<RunOutput> {
    run_files(paths, None).unwrap()
}

#[test]
fn legs_without_rebalancing_are_the_legs_run_alone_on_their_share() {
    let dir = tempfile::tempdir().unwrap();
    let pf = write(
        dir.path(),
        "pf.toml",
        &portfolio("rebalance = \"calendar\"\nevery = \"10000d\""),
    );
    let lend = write(
        dir.path(),
        "lend.toml",
        &format!("capital_usd = 50000\n[strategy]\n{LEND}"),
    );
    let stable = write(
        dir.path(),
        "stable.toml",
        &format!("capital_usd = 50000\n[strategy]\n{STABLE}"),
    );
    let out = run(&[pf, lend, stable]);
    let (pf, lend, stable) = (&out[0].result, &out[1].result, &out[2].result);
    let alone = lend.final_value() + stable.final_value();
    assert!(
        (pf.final_value() - alone).abs() < 1e-6 * alone,
        "portfolio {} vs legs alone {alone}",
        pf.final_value()
    );
    for b in [
        Bucket::Interest,
        Bucket::Fees,
        Bucket::Gas,
        Bucket::ImpermanentLoss,
    ] {
        let want = lend.attribution[b as usize] + stable.attribution[b as usize];
        assert!(
            (pf.attribution[b as usize] - want).abs() < 1e-6 * want.abs().max(1.0),
            "{}: {} vs {want}",
            b.name(),
            pf.attribution[b as usize]
        );
    }
    assert_eq!(pf.counts.deposits, 2);
    assert_eq!(pf.counts.withdrawals, 0);
}

#[test]
fn a_rebalance_moves_value_between_the_legs_and_pays_for_each_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let monthly = write(
        dir.path(),
        "monthly.toml",
        &portfolio("rebalance = \"calendar\"\nevery = \"30d\"\nmin_trade_pct = 0.01"),
    );
    let never = write(
        dir.path(),
        "never.toml",
        &portfolio("rebalance = \"calendar\"\nevery = \"10000d\""),
    );
    let out = run(&[monthly, never]);
    let (m, n) = (&out[0].result, &out[1].result);
    // Interest and fees drift the legs apart; a month's drift is above 0.01 %.
    assert!(m.counts.withdrawals >= 10, "{:?}", m.counts);
    assert_eq!(m.counts.withdrawals + 2, m.counts.deposits);
    // Each withdrawal is followed, at the same step, by a deposit into the other leg of
    // what it brought less its gas and swap costs.
    let rows: Vec<_> = m
        .ledger
        .iter()
        .filter(|e| matches!(e.action, LedgerAction::Withdraw | LedgerAction::Deposit))
        .filter(|e| e.step > 0)
        .collect();
    for w in rows.chunks(2) {
        assert_eq!(w[0].action, LedgerAction::Withdraw);
        assert_eq!(w[1].action, LedgerAction::Deposit);
        assert_eq!(w[0].step, w[1].step);
        assert_ne!(w[0].target, w[1].target);
        assert!(
            w[1].amount_usd < w[0].amount_usd,
            "costs come out of the transfer"
        );
        assert!(
            w[0].gas_usd > rust_decimal::Decimal::ZERO
                && w[1].gas_usd > rust_decimal::Decimal::ZERO
        );
    }
    // The rebalances' gas and swaps are real costs the unrebalanced portfolio has not.
    assert!(m.attribution[Bucket::Gas as usize] < n.attribution[Bucket::Gas as usize]);
    assert!(m.attribution[Bucket::SwapCosts as usize] < n.attribution[Bucket::SwapCosts as usize]);
}

#[test]
fn what_a_leg_cannot_be_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "capital_usd = 1000\n[strategy]\nkind = \"portfolio\"\nrebalance = \"calendar\"\nevery = \"30d\"\n[[strategy.legs]]\nweight = 0.5\nkind = \"hodl\"\npool = \"usdc_usdt_stable\"\n[[strategy.legs]]\nweight = 0.5\nkind = \"lend\"\nmarket = \"usdc_lending\"\nasset = \"USDC\"\n",
            "leg 1 is kind = \"hodl\"; a leg may be lp, stable_lp, range_lp, lend, autocompound",
        ),
        (
            &portfolio("rebalance = \"calendar\"\nevery = \"30d\"").replace("weight = 0.5\nkind = \"stable_lp\"", "weight = 0.4\nkind = \"stable_lp\""),
            "the legs' weights add up to 0.9; they must add up to 1",
        ),
        (
            &portfolio("rebalance = \"drift\""),
            "rebalance = \"drift\" needs `drift_pct`",
        ),
        (
            &portfolio("rebalance = \"calendar\"\nevery = \"30d\"").replace("pool = \"usdc_usdt_stable\"", "pool = \"usdc_usdt_stable\"\ncolour = 3"),
            "colour",
        ),
    ];
    for (k, (body, want)) in cases.iter().enumerate() {
        let p = write(dir.path(), &format!("bad{k}.toml"), body);
        let run = common::yieldlab(
            &[
                "run",
                p.to_str().unwrap(),
                "--quiet",
                "--out",
                dir.path().join(format!("o{k}")).to_str().unwrap(),
            ],
            &common::repo(),
        );
        assert_eq!(run.code, 2, "case {k}: {}", run.stderr);
        assert!(run.stderr.contains(want), "case {k}: {}", run.stderr);
    }
}
