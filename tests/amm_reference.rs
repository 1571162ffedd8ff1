//! Differential tests: yieldlab's float protocol math against the on-chain integer math,
//! case by case, on the vectors in tests/vectors (made by tools/reference/gen_vectors.py:
//! curvesim 0.5.0 for StableSwap, exact-integer transcriptions of the Uniswap v2 and v3
//! contract libraries). Agreement required: 1e-9 relative, plus 2 units of the last
//! on-chain place (the contracts round by one wei; a float cannot).

use serde_json::Value;
use yieldlab::amm::{stableswap, v2, v3};

fn cases(name: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("vectors present");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn num(v: &Value, key: &str) -> f64 {
    match &v[key] {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.as_f64().unwrap(),
        other => panic!("{key}: {other:?}"),
    }
}

fn nums(v: &Value, key: &str, scale: f64) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse::<f64>().unwrap() * scale)
        .collect()
}

/// Largest relative error seen where the on-chain value has more than 12 digits (below
/// that, the contracts' own rounding by one unit dominates), for the report.
struct Worst(f64, String);

impl Worst {
    #[track_caller]
    fn check(&mut self, what: &str, ours: f64, expected: f64, unit: f64) {
        let err = (ours - expected).abs();
        assert!(
            err <= 1e-9 * expected.abs() + 2.0 * unit,
            "{what}: ours {ours:e}, on-chain {expected:e}, relative error {:e}",
            err / expected.abs()
        );
        if expected.abs() > 1e12 * unit {
            let rel = err / expected.abs();
            if rel > self.0 {
                self.0 = rel;
                self.1 = what.to_string();
            }
        }
    }
}

#[test]
fn uniswap_v2_matches_the_contract_formulas() {
    let mut worst = Worst(0.0, String::new());
    for (k, c) in cases("v2.jsonl").iter().enumerate() {
        let (rin, rout) = (num(c, "reserve_in"), num(c, "reserve_out"));
        let expected = num(c, "expected");
        match c["op"].as_str().unwrap() {
            "amount_out" => {
                let ours = v2::amount_out(rin, rout, num(c, "amount_in"), 0.003).unwrap();
                worst.check(&format!("v2 case {k} amount_out"), ours, expected, 1.0);
            }
            "amount_in" => {
                let ours = v2::amount_in(rin, rout, num(c, "amount_out"), 0.003).unwrap();
                worst.check(&format!("v2 case {k} amount_in"), ours, expected, 1.0);
            }
            op => panic!("unknown op {op}"),
        }
    }
    eprintln!("v2: worst relative error {:e} ({})", worst.0, worst.1);
}

#[test]
fn uniswap_v3_matches_tick_math_and_liquidity_amounts() {
    let q96 = 2f64.powi(96);
    let mut worst = Worst(0.0, String::new());
    let mut boundary = 0;
    for (k, c) in cases("v3.jsonl").iter().enumerate() {
        match c["op"].as_str().unwrap() {
            "sqrt_at_tick" => {
                let t = c["tick"].as_i64().unwrap() as i32;
                let ours = v3::tick_to_sqrt_price(t).unwrap() * q96;
                worst.check(
                    &format!("v3 case {k} sqrt at tick {t}"),
                    ours,
                    num(c, "expected"),
                    1.0,
                );
            }
            "tick_at_sqrt" => {
                let s = num(c, "sqrt_x96") / q96;
                let expected = c["expected"].as_i64().unwrap() as i32;
                let ours = v3::price_to_tick(s * s).unwrap();
                if ours != expected {
                    // Only a price within float resolution of a tick boundary may differ.
                    let edge = v3::tick_to_sqrt_price(expected + 1).unwrap();
                    assert!(
                        ((s - edge) / edge).abs() < 1e-13,
                        "v3 case {k}: tick {ours} vs on-chain {expected}"
                    );
                    boundary += 1;
                }
            }
            "amounts_for_liquidity" => {
                let (sp, sa, sb) = (
                    num(c, "sqrt_p") / q96,
                    num(c, "sqrt_a") / q96,
                    num(c, "sqrt_b") / q96,
                );
                let (a0, a1) = v3::amounts_for_liquidity(sp, sa, sb, num(c, "liquidity")).unwrap();
                worst.check(&format!("v3 case {k} amount0"), a0, num(c, "amount0"), 1.0);
                worst.check(&format!("v3 case {k} amount1"), a1, num(c, "amount1"), 1.0);
            }
            "liquidity_for_amounts" => {
                let (sp, sa, sb) = (
                    num(c, "sqrt_p") / q96,
                    num(c, "sqrt_a") / q96,
                    num(c, "sqrt_b") / q96,
                );
                let l = v3::liquidity_for_amounts(sp, sa, sb, num(c, "amount0"), num(c, "amount1"))
                    .unwrap();
                worst.check(
                    &format!("v3 case {k} liquidity"),
                    l,
                    num(c, "expected"),
                    1.0,
                );
            }
            op => panic!("unknown op {op}"),
        }
    }
    assert!(boundary <= 2, "{boundary} tick mismatches at boundaries");
    eprintln!(
        "v3: worst relative error {:e} ({}); {boundary} boundary ticks",
        worst.0, worst.1
    );
}

#[test]
fn stableswap_matches_curvesim() {
    let wei = 1e-18;
    let mut worst = Worst(0.0, String::new());
    for (k, c) in cases("stableswap.jsonl").iter().enumerate() {
        let balances = nums(c, "balances", wei);
        let amp = num(c, "amp");
        let fee = num(c, "fee") / 1e10;
        let admin_fee = num(c, "admin_fee") / 1e10;
        let supply = num(c, "supply") * wei;
        let pool = stableswap::Pool::new(balances.clone(), amp, fee, admin_fee, supply).unwrap();
        let op = c["op"].as_str().unwrap();
        let what = format!("stableswap case {k} {op} (n {}, A {amp})", balances.len());
        match op {
            "d" => worst.check(&what, pool.d().unwrap(), num(c, "expected") * wei, wei),
            "virtual_price" => worst.check(
                &what,
                pool.virtual_price().unwrap(),
                num(c, "expected") * wei,
                wei,
            ),
            "exchange" => {
                let i = c["i"].as_u64().unwrap() as usize;
                let j = c["j"].as_u64().unwrap() as usize;
                let e = pool.quote_exchange(i, j, num(c, "dx") * wei).unwrap();
                let dy = num(c, "dy") * wei;
                worst.check(&what, e.dy, dy, wei);
                // A fee is a small difference: compared to 1e-9 of the amount it is charged on.
                assert!(
                    (e.fee - num(c, "dy_fee") * wei).abs() <= 1e-9 * dy + 2.0 * wei,
                    "{what} fee"
                );
                for (o, x) in e.balances_after.iter().zip(nums(c, "balances_after", wei)) {
                    worst.check(&what, *o, x, wei);
                }
            }
            "add_liquidity" => {
                let r = pool.quote_add_liquidity(&nums(c, "amounts", wei)).unwrap();
                worst.check(&what, r.lp_amount, num(c, "minted") * wei, wei);
                for (o, x) in r.balances_after.iter().zip(nums(c, "balances_after", wei)) {
                    worst.check(&what, *o, x, wei);
                }
            }
            "remove_one_coin" => {
                let i = c["i"].as_u64().unwrap() as usize;
                let r = pool
                    .quote_remove_liquidity_one_coin(num(c, "token_amount") * wei, i)
                    .unwrap();
                let dy = num(c, "dy") * wei;
                worst.check(&what, r.dy, dy, wei);
                assert!(
                    (r.fee - num(c, "dy_fee") * wei).abs() <= 1e-9 * dy + 2.0 * wei,
                    "{what} fee"
                );
            }
            "remove_imbalance" => {
                let r = pool
                    .quote_remove_liquidity_imbalance(&nums(c, "amounts", wei))
                    .unwrap();
                worst.check(&what, r.lp_amount, num(c, "burned") * wei, wei);
                for (o, x) in r.balances_after.iter().zip(nums(c, "balances_after", wei)) {
                    worst.check(&what, *o, x, wei);
                }
            }
            op => panic!("unknown op {op}"),
        }
    }
    eprintln!(
        "stableswap: worst relative error {:e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn stableswap_state_follows_curvesim_through_300_operations() {
    // A 3pool-sized pool (A = 2000, 0.01 % fee, 50 % admin fee) through exchanges,
    // deposits and one-coin and imbalanced withdrawals of real sizes; after every
    // operation the virtual price, balances and LP supply must still agree.
    let wei = 1e-18;
    let steps = cases("stableswap_sequence.jsonl");
    let head = &steps[0];
    let mut pool = stableswap::Pool::new(
        nums(head, "balances", wei),
        num(head, "amp"),
        num(head, "fee") / 1e10,
        num(head, "admin_fee") / 1e10,
        num(head, "supply") * wei,
    )
    .unwrap();
    let mut worst = 0.0f64;
    for (k, s) in steps[1..].iter().enumerate() {
        match s["op"].as_str().unwrap() {
            "exchange" => {
                let (i, j) = (
                    s["i"].as_u64().unwrap() as usize,
                    s["j"].as_u64().unwrap() as usize,
                );
                pool.exchange(i, j, num(s, "dx") * wei).unwrap();
            }
            "add" => {
                pool.add_liquidity(&nums(s, "amounts", wei)).unwrap();
            }
            "remove_one" => {
                pool.remove_liquidity_one_coin(
                    num(s, "token_amount") * wei,
                    s["i"].as_u64().unwrap() as usize,
                )
                .unwrap();
            }
            "remove_imbalance" => {
                pool.remove_liquidity_imbalance(&nums(s, "amounts", wei))
                    .unwrap();
            }
            op => panic!("unknown op {op}"),
        }
        let vp = num(s, "virtual_price") * wei;
        let err = (pool.virtual_price().unwrap() / vp - 1.0).abs();
        worst = worst.max(err);
        assert!(err < 1e-9, "step {k}: virtual price off by {err:e}");
        for (ours, theirs) in pool.balances.iter().zip(nums(s, "balances", wei)) {
            assert!(
                (ours / theirs - 1.0).abs() < 1e-9,
                "step {k}: balance {ours} vs {theirs}"
            );
        }
        assert!(
            (pool.supply / (num(s, "supply") * wei) - 1.0).abs() < 1e-9,
            "step {k}: supply"
        );
    }
    eprintln!(
        "stableswap sequence: worst virtual-price error {worst:e} over {} operations",
        steps.len() - 1
    );
}

/// The exact integer v3 math agrees with the reference transcription on every vector,
/// to the last unit: TickMath both ways and the amounts of a liquidity.
#[test]
fn exact_v3_math_matches_the_reference_vectors_exactly() {
    use yieldlab::amm::v3_exact::{self as x, parse_u256};
    let big = |c: &serde_json::Value, k: &str| parse_u256(c[k].as_str().unwrap()).unwrap();
    let mut n = 0;
    for (k, c) in cases("v3.jsonl").iter().enumerate() {
        match c["op"].as_str().unwrap() {
            "sqrt_at_tick" => {
                let t = c["tick"].as_i64().unwrap() as i32;
                assert_eq!(
                    x::sqrt_ratio_at_tick(t).unwrap(),
                    big(c, "expected"),
                    "case {k}"
                );
                n += 1;
            }
            "tick_at_sqrt" => {
                let s = big(c, "sqrt_x96");
                let expected = c["expected"].as_i64().unwrap() as i32;
                assert_eq!(x::tick_at_sqrt_ratio(s).unwrap(), expected, "case {k}");
                n += 1;
            }
            "amounts_for_liquidity" => {
                let (sp, sa, sb) = (big(c, "sqrt_p"), big(c, "sqrt_a"), big(c, "sqrt_b"));
                let l: u128 = c["liquidity"].as_str().unwrap().parse().unwrap();
                let zero = ruint::aliases::U256::ZERO;
                let (a0, a1) = if sp <= sa {
                    (x::amount0_delta(sa, sb, l, false).unwrap(), zero)
                } else if sp < sb {
                    (
                        x::amount0_delta(sp, sb, l, false).unwrap(),
                        x::amount1_delta(sa, sp, l, false).unwrap(),
                    )
                } else {
                    (zero, x::amount1_delta(sa, sb, l, false).unwrap())
                };
                assert_eq!(a0, big(c, "amount0"), "case {k}");
                assert_eq!(a1, big(c, "amount1"), "case {k}");
                n += 1;
            }
            _ => {}
        }
    }
    assert_eq!(n, 700);
}

/// The exact integer StableSwap agrees with curvesim's integer port on every vector (D,
/// virtual price, exchange, add, imbalanced and one-coin withdrawal), to the last unit.
#[test]
fn exact_stableswap_matches_curvesim_exactly() {
    use yieldlab::amm::stableswap_exact as sx;
    use yieldlab::amm::v3_exact::parse_u256;
    let big = |v: &serde_json::Value| parse_u256(v.as_str().unwrap()).unwrap();
    let (mut n, mut bad) = (0, Vec::new());
    for (k, c) in cases("stableswap.jsonl").iter().enumerate() {
        let xp: Vec<_> = c["balances"].as_array().unwrap().iter().map(big).collect();
        let amp = c["amp"].as_u64().unwrap();
        let ok = match c["op"].as_str().unwrap() {
            "d" => sx::get_d(&xp, amp).unwrap() == big(&c["expected"]),
            "virtual_price" => {
                sx::virtual_price(&xp, amp, big(&c["supply"])).unwrap() == big(&c["expected"])
            }
            "exchange" => {
                let (i, j) = (
                    c["i"].as_u64().unwrap() as usize,
                    c["j"].as_u64().unwrap() as usize,
                );
                let (dy, fee, after) = sx::exchange(
                    &xp,
                    amp,
                    c["fee"].as_u64().unwrap(),
                    c["admin_fee"].as_u64().unwrap(),
                    i,
                    j,
                    big(&c["dx"]),
                )
                .unwrap();
                let want: Vec<_> = c["balances_after"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(big)
                    .collect();
                dy == big(&c["dy"]) && fee == big(&c["dy_fee"]) && after == want
            }
            op @ ("add_liquidity" | "remove_imbalance") => {
                let amounts: Vec<_> = c["amounts"].as_array().unwrap().iter().map(big).collect();
                let (fee, admin) = (c["fee"].as_u64().unwrap(), c["admin_fee"].as_u64().unwrap());
                let supply = big(&c["supply"]);
                let want: Vec<_> = c["balances_after"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(big)
                    .collect();
                if op == "add_liquidity" {
                    let (minted, after) =
                        sx::add_liquidity(&xp, amp, fee, admin, supply, &amounts).unwrap();
                    minted == big(&c["minted"]) && after == want
                } else {
                    let (burned, after) =
                        sx::remove_liquidity_imbalance(&xp, amp, fee, admin, supply, &amounts)
                            .unwrap();
                    burned == big(&c["burned"]) && after == want
                }
            }
            "remove_one_coin" => {
                let (dy, fee) = sx::calc_withdraw_one_coin(
                    &xp,
                    amp,
                    c["fee"].as_u64().unwrap(),
                    big(&c["supply"]),
                    big(&c["token_amount"]),
                    c["i"].as_u64().unwrap() as usize,
                )
                .unwrap();
                dy == big(&c["dy"]) && fee == big(&c["dy_fee"])
            }
            _ => continue,
        };
        n += 1;
        if !ok {
            bad.push(k);
        }
    }
    assert_eq!(n, 1440);
    assert!(
        bad.is_empty(),
        "{} cases differ, first {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}
