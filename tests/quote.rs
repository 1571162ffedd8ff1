//! `yieldlab quote` end to end: every op answers, answers come in request order, a
//! bad line answers an error and the stream goes on, the exit code is 0.

mod common;

use serde_json::Value;

fn quote(input: &str) -> (i32, Vec<Value>) {
    let run = common::run_binary(&["quote"], &common::repo(), Some(input));
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let lines = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (run.code, lines)
}

fn close(v: &Value, key: &str, expected: f64, tol: f64) {
    let x = v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"));
    assert!(
        (x - expected).abs() <= tol * expected.abs().max(1.0),
        "{key}: {x} vs {expected} in {v}"
    );
}

#[test]
fn every_op_answers_in_order() {
    let input = r#"{"op":"v2.amount_out","reserve_in":100,"reserve_out":300000,"amount_in":1,"fee":0.003}
{"op":"v2.amount_in","reserve_in":100,"reserve_out":300000,"amount_out":2961.474103190193,"fee":0.003}
{"op":"v2.il","price_ratio":4}
{"op":"v3.liquidity_for_amounts","price":2.25,"price_lower":1,"price_upper":4,"amount0":"16.666666666666667","amount1":50}
{"op":"v3.amounts_for_liquidity","price":2.25,"price_lower":1,"price_upper":4,"liquidity":100}
{"op":"v3.il","price_lower":1e-20,"price_upper":1e20,"price_initial":100,"price_final":400}
{"op":"v3.tick_to_price","tick":1}
{"op":"v3.price_to_tick","price":1.0001}
{"op":"stableswap.d","balances":[1000,1000,1000],"amp":100}
{"op":"stableswap.exchange","balances":[1000000,1000000,1000000],"amp":2000,"fee":0.0004,"admin_fee":0.5,"i":0,"j":1,"dx":1000}
{"op":"stableswap.add_liquidity","balances":[1000000,1000000],"amp":100,"fee":0.0004,"admin_fee":0.5,"lp_supply":2000000,"amounts":[1000,1000]}
{"op":"stableswap.remove_liquidity_one_coin","balances":[1000000,1000000],"amp":100,"fee":0.0004,"admin_fee":0.5,"lp_supply":2000000,"token_amount":1000,"i":0}
{"op":"stableswap.remove_liquidity_imbalance","balances":[1000000,1000000],"amp":100,"fee":0.0004,"admin_fee":0.5,"lp_supply":2000000,"amounts":[1000,0]}
{"op":"stableswap.virtual_price","balances":[1000000,1000000],"amp":100,"lp_supply":2000000}
{"op":"compound.value","principal":1000,"apr":0.1,"harvests_per_year":4,"years":1,"cost_per_harvest":0,"cost_from_position":true}
{"op":"compound.optimal_harvests","principal":10000,"apr":0.2,"years":1,"cost_per_harvest":5,"cost_from_position":true,"max_harvests":365}
"#;
    let (code, out) = quote(input);
    assert_eq!(code, 0);
    assert_eq!(out.len(), 16);
    for v in &out {
        assert!(v.get("error").is_none(), "{v}");
    }
    close(&out[0], "amount_out", 2961.474103190193, 1e-12);
    close(&out[1], "amount_in", 1.0, 1e-12);
    close(&out[2], "il", -0.2, 1e-12);
    close(&out[3], "liquidity", 100.0, 1e-9);
    close(&out[4], "amount0", 100.0 / 6.0, 1e-12);
    close(&out[4], "amount1", 50.0, 1e-12);
    close(&out[5], "il", -0.2, 1e-6);
    close(&out[6], "price", 1.0001, 1e-12);
    assert_eq!(out[7]["tick"], 1);
    close(&out[8], "d", 3000.0, 1e-12);
    close(&out[9], "dy", 999.5995, 1e-6);
    assert_eq!(out[9]["balances_after"].as_array().unwrap().len(), 3);
    close(&out[10], "lp_minted", 2000.0, 1e-9);
    close(&out[11], "dy", 1000.0, 1e-3);
    assert!(out[12]["lp_burned"].as_f64().unwrap() > 1000.0);
    close(&out[13], "virtual_price", 1.0, 1e-12);
    close(&out[14], "value", 1103.812890625, 1e-12);
    assert_eq!(out[15]["harvests_per_year"], 7);
}

#[test]
fn bad_lines_answer_errors_and_the_stream_goes_on() {
    let input = "{\"op\":\"v2.il\",\"price_ratio\":1,\"id\":\"a\"}\nnot json\n\n{\"op\":\"v9.x\"}\n{\"op\":\"v2.il\"}\n{\"op\":\"v2.il\",\"price_ratio\":\"x\"}\n[1,2]\n{\"op\":\"stableswap.exchange\",\"balances\":[1,1],\"amp\":1,\"fee\":0,\"admin_fee\":0,\"i\":0,\"j\":5,\"dx\":1}\n{\"op\":\"v2.il\",\"price_ratio\":1,\"id\":\"z\"}\n";
    let (code, out) = quote(input);
    assert_eq!(code, 0);
    assert_eq!(
        out.len(),
        8,
        "blank lines are skipped, every other line answers"
    );
    assert_eq!(out[0]["id"], "a");
    assert_eq!(out[0]["il"], 0.0);
    let err = |k: usize| {
        out[k]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", out[k]))
            .to_string()
    };
    assert!(err(1).contains("not a JSON object"));
    assert!(err(2).contains("unknown op \"v9.x\""));
    assert!(err(3).contains("missing field \"price_ratio\""));
    assert!(err(4).contains("'x' is not a number"));
    assert!(err(5).contains("expected a JSON object"));
    assert!(err(6).contains("coin index"));
    assert_eq!(out[7]["id"], "z");
}

#[test]
fn exact_integer_ops_answer_as_the_contracts_do() {
    let q96 = "79228162514264337593543950336";
    let input = [
        r#"{"op":"v3.sqrt_ratio_at_tick","tick":0}"#.to_string(),
        r#"{"op":"v3.sqrt_ratio_at_tick","tick":-887272}"#.to_string(),
        // One unit below tick 0's √price is tick −1: an exact boundary.
        r#"{"op":"v3.tick_at_sqrt_ratio","sqrt_price_x96":"79228162514264337593543950335"}"#.to_string(),
        format!(r#"{{"op":"v3.tick_at_sqrt_ratio","sqrt_price_x96":"{q96}"}}"#),
        // An exact input that does not reach the target pays the remainder as its fee.
        format!(r#"{{"op":"v3.swap_step","sqrt_price_x96":"{q96}","sqrt_target_x96":"79000000000000000000000000000","liquidity":"1000000000000000000","amount_remaining":"1000000","fee_pips":3000}}"#),
        r#"{"op":"v3.tick_at_sqrt_ratio","sqrt_price_x96":"1"}"#.to_string(),
    ]
    .join("\n");
    let (code, out) = quote(&input);
    assert_eq!(code, 0);
    assert_eq!(out[0]["sqrt_price_x96"], q96);
    assert_eq!(out[1]["sqrt_price_x96"], "4295128739");
    assert_eq!(out[2]["tick"], -1);
    assert_eq!(out[3]["tick"], 0);
    let s = &out[4];
    let (a_in, fee): (u128, u128) = (
        s["amount_in"].as_str().unwrap().parse().unwrap(),
        s["fee_amount"].as_str().unwrap().parse().unwrap(),
    );
    assert_eq!(a_in + fee, 1_000_000, "{s}");
    // At a price of 1 and this depth, the output is the input less the 0.3 % fee, rounded down.
    let a_out: u128 = s["amount_out"].as_str().unwrap().parse().unwrap();
    assert!(a_out < 997_000 && a_out > 996_000, "{s}");
    assert!(out[5]["error"].as_str().unwrap().contains("MIN_SQRT_RATIO"));
    // The same amount as an exact output takes no more input than the exact input gave.
    let (_, back) = quote(&format!(
        r#"{{"op":"v3.swap_step","sqrt_price_x96":"{q96}","sqrt_target_x96":"79000000000000000000000000000","liquidity":"1000000000000000000","amount_remaining":"-{a_out}","fee_pips":3000}}"#
    ));
    assert_eq!(back[0]["amount_out"].as_str().unwrap(), a_out.to_string());
    let b_in: u128 = back[0]["amount_in"].as_str().unwrap().parse().unwrap();
    assert!(b_in <= a_in, "{}", back[0]);
}

#[test]
fn exact_stableswap_ops_keep_the_books_exact() {
    let b = "\"900000000000000000000000000\"";
    let input = [
        format!(r#"{{"op":"stableswap.exchange_exact","balances":[{b},{b}],"amp":2000,"fee":4000000,"admin_fee":5000000000,"i":0,"j":1,"dx":"1000000000000000000"}}"#),
        format!(r#"{{"op":"stableswap.add_liquidity_exact","balances":[{b},{b}],"amp":2000,"fee":4000000,"admin_fee":0,"supply":"1800000000000000000000000000","amounts":["1000000000000000000","0"]}}"#),
        format!(r#"{{"op":"stableswap.remove_liquidity_one_coin_exact","balances":[{b},{b}],"amp":2000,"fee":4000000,"supply":"1800000000000000000000000000","token_amount":"1000000000000000000","i":1}}"#),
        format!(r#"{{"op":"stableswap.exchange_exact","balances":[{b},{b}],"amp":2000,"fee":4000000,"admin_fee":0,"i":0,"j":5,"dx":"1"}}"#),
        // Draining a coin at the highest fee: an answer, not a panic.
        format!(r#"{{"op":"stableswap.remove_liquidity_imbalance_exact","balances":[{b},{b}],"amp":2000,"fee":9999999999,"admin_fee":9999999999,"supply":"1800000000000000000000000000","amounts":[{b},"0"]}}"#),
    ]
    .join("\n");
    let (code, out) = quote(&input);
    assert_eq!(code, 0);
    let n = |v: &Value| v.as_str().unwrap().parse::<u128>().unwrap();
    let (dy, fee) = (n(&out[0]["dy"]), n(&out[0]["fee"]));
    let after: Vec<u128> = out[0]["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(n)
        .collect();
    let base: u128 = 900_000_000_000_000_000_000_000_000;
    let dx: u128 = 1_000_000_000_000_000_000;
    // Coin i gains dx; coin j loses what was paid out plus the admin half of the fee.
    assert_eq!(after[0], base + dx);
    assert_eq!(after[1], base - dy - fee / 2);
    // At the peg in a deep pool: out ≈ in less the 0.04 % fee.
    assert!(dy < dx && dy > dx / 10_000 * 9_995, "{dy}");
    // A one-sided deposit mints less than a balanced one would (imbalance fee) but near it.
    let minted = n(&out[1]["lp_tokens"]);
    assert!(minted < dx && minted > dx / 10_000 * 9_990, "{minted}");
    let one = n(&out[2]["dy"]);
    assert!(one < dx && one > dx / 10_000 * 9_990, "{one}");
    assert!(
        out[3]["error"].as_str().unwrap().contains("coin"),
        "{}",
        out[3]
    );
    assert!(out[4]["error"].is_string(), "{}", out[4]);
}
