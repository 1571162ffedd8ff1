//! `yieldlab quote`: a JSON-lines calculator over the protocol math. One request
//! object per input line, one response object per line, in the same order; a bad
//! line answers `{"error": "..."}` and the stream goes on. Blank lines are skipped.
//!
//! Amounts are whole tokens, given as JSON numbers or as strings (parsed to the
//! nearest `f64`: the math is `f64`, so strings do not carry more precision than
//! about 15–16 significant digits). Rates and fees are fractions. An optional `"id"`
//! is echoed back. Unknown fields are errors, so a misspelt field is never ignored.

use std::io::{BufRead, Write};

use serde_json::{json, Map, Value};

use crate::amm::{compound, stableswap, stableswap_exact, v2, v3, v3_exact, weighted};

/// Answers one request line.
pub fn answer(line: &str) -> Value {
    let req: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({ "error": format!("not a JSON object: {e}") }),
    };
    let Value::Object(obj) = req else {
        return json!({ "error": "expected a JSON object with an \"op\" field" });
    };
    let id = obj.get("id").cloned();
    let mut out = match Request::new(&obj).and_then(|r| r.run()) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            let mut m = Map::new();
            m.insert("result".into(), other);
            m
        }
        Err(e) => {
            let mut m = Map::new();
            m.insert("error".into(), Value::String(e));
            m
        }
    };
    if let Some(id) = id {
        out.insert("id".into(), id);
    }
    Value::Object(out)
}

/// Reads requests from `input` until its end, writing one answer per request.
pub fn run(input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.split(b'\n') {
        let bytes = line?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let v = if std::str::from_utf8(&bytes).is_err() {
            json!({ "error": "the line is not valid UTF-8" })
        } else {
            answer(text)
        };
        writeln!(output, "{v}")?;
    }
    output.flush()
}

const OPS: &[(&str, &[&str])] = &[
    (
        "v2.amount_out",
        &["reserve_in", "reserve_out", "amount_in", "fee"],
    ),
    (
        "v2.amount_in",
        &["reserve_in", "reserve_out", "amount_out", "fee"],
    ),
    ("v2.il", &["price_ratio"]),
    (
        "weighted.amount_out",
        &[
            "balance_in",
            "weight_in",
            "balance_out",
            "weight_out",
            "amount_in",
            "fee",
        ],
    ),
    ("weighted.il", &["weights", "price_ratios"]),
    ("weighted.balances", &["weights", "prices"]),
    (
        "v3.liquidity_for_amounts",
        &["price", "price_lower", "price_upper", "amount0", "amount1"],
    ),
    (
        "v3.amounts_for_liquidity",
        &["price", "price_lower", "price_upper", "liquidity"],
    ),
    (
        "v3.il",
        &["price_lower", "price_upper", "price_initial", "price_final"],
    ),
    ("v3.tick_to_price", &["tick"]),
    ("v3.price_to_tick", &["price"]),
    ("v3.sqrt_ratio_at_tick", &["tick"]),
    (
        "stableswap.exchange_exact",
        &["balances", "amp", "fee", "admin_fee", "i", "j", "dx"],
    ),
    (
        "stableswap.add_liquidity_exact",
        &["balances", "amp", "fee", "admin_fee", "supply", "amounts"],
    ),
    (
        "stableswap.remove_liquidity_imbalance_exact",
        &["balances", "amp", "fee", "admin_fee", "supply", "amounts"],
    ),
    (
        "stableswap.remove_liquidity_one_coin_exact",
        &["balances", "amp", "fee", "supply", "token_amount", "i"],
    ),
    ("v3.tick_at_sqrt_ratio", &["sqrt_price_x96"]),
    (
        "v3.swap_step",
        &[
            "sqrt_price_x96",
            "sqrt_target_x96",
            "liquidity",
            "amount_remaining",
            "fee_pips",
        ],
    ),
    ("stableswap.d", &["balances", "amp"]),
    (
        "stableswap.exchange",
        &["balances", "amp", "fee", "admin_fee", "i", "j", "dx"],
    ),
    (
        "stableswap.add_liquidity",
        &[
            "balances",
            "amp",
            "fee",
            "admin_fee",
            "lp_supply",
            "amounts",
        ],
    ),
    (
        "stableswap.remove_liquidity_one_coin",
        &[
            "balances",
            "amp",
            "fee",
            "admin_fee",
            "lp_supply",
            "token_amount",
            "i",
        ],
    ),
    (
        "stableswap.remove_liquidity_imbalance",
        &[
            "balances",
            "amp",
            "fee",
            "admin_fee",
            "lp_supply",
            "amounts",
        ],
    ),
    (
        "stableswap.virtual_price",
        &["balances", "amp", "lp_supply"],
    ),
    (
        "compound.value",
        &[
            "principal",
            "apr",
            "harvests_per_year",
            "years",
            "cost_per_harvest",
            "cost_from_position",
        ],
    ),
    (
        "compound.optimal_harvests",
        &[
            "principal",
            "apr",
            "years",
            "cost_per_harvest",
            "cost_from_position",
            "max_harvests",
        ],
    ),
];

struct Request<'a> {
    op: &'a str,
    obj: &'a Map<String, Value>,
}

impl<'a> Request<'a> {
    fn new(obj: &'a Map<String, Value>) -> Result<Request<'a>, String> {
        let op = obj
            .get("op")
            .and_then(Value::as_str)
            .ok_or("missing \"op\" (a string such as \"v2.amount_out\")")?;
        let Some((_, fields)) = OPS.iter().find(|(name, _)| *name == op) else {
            let names: Vec<&str> = OPS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown op \"{op}\"{}; ops: {}",
                crate::names::suggest(op, names.iter().copied()),
                names.join(", ")
            ));
        };
        for key in obj.keys() {
            if key != "op" && key != "id" && !fields.contains(&key.as_str()) {
                return Err(format!(
                    "unknown field \"{key}\" for {op}{}; it takes: {}",
                    crate::names::suggest(key, fields.iter().copied()),
                    fields.join(", ")
                ));
            }
        }
        Ok(Request { op, obj })
    }

    fn get(&self, key: &str) -> Result<&Value, String> {
        self.obj
            .get(key)
            .ok_or_else(|| format!("missing field \"{key}\" for {}", self.op))
    }

    fn num(&self, key: &str) -> Result<f64, String> {
        to_f64(self.get(key)?).map_err(|m| format!("field \"{key}\": {m}"))
    }

    fn list(&self, key: &str) -> Result<Vec<f64>, String> {
        match self.get(key)? {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(k, v)| to_f64(v).map_err(|m| format!("field \"{key}\"[{k}]: {m}")))
                .collect(),
            _ => Err(format!("field \"{key}\" must be an array of numbers")),
        }
    }

    fn int(&self, key: &str) -> Result<i64, String> {
        let x = self.num(key)?;
        if x.fract() != 0.0 || x.abs() > 9.0e15 {
            return Err(format!("field \"{key}\" must be a whole number, got {x}"));
        }
        Ok(x as i64)
    }

    /// An on-chain integer: a decimal string (any size) or a JSON whole number.
    fn big(&self, key: &str) -> Result<ruint::aliases::U256, String> {
        let text = match self.get(key)? {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_u64() => n.to_string(),
            _ => {
                return Err(format!(
                    "field \"{key}\" must be a non-negative whole number as a decimal string, e.g. \"79228162514264337593543950336\""
                ))
            }
        };
        v3_exact::parse_u256(&text).map_err(|m| format!("field \"{key}\": {m}"))
    }

    /// A list of on-chain integers (decimal strings).
    fn bigs(&self, key: &str) -> Result<Vec<ruint::aliases::U256>, String> {
        match self.get(key)? {
            Value::Array(a) => {
                a.iter()
                    .enumerate()
                    .map(|(k, v)| match v {
                        Value::String(s) => v3_exact::parse_u256(s)
                            .map_err(|m| format!("field \"{key}\"[{k}]: {m}")),
                        Value::Number(n) if n.is_u64() => {
                            v3_exact::parse_u256(&n.to_string()).map_err(|m| m.0)
                        }
                        _ => Err(format!(
                            "field \"{key}\"[{k}] must be a whole number as a decimal string"
                        )),
                    })
                    .collect()
            }
            _ => Err(format!(
                "field \"{key}\" must be an array of decimal strings"
            )),
        }
    }

    /// A whole number that fits u64 (amplification, fees in 1e10 units).
    fn small(&self, key: &str) -> Result<u64, String> {
        let x = self.int(key)?;
        u64::try_from(x).map_err(|_| format!("field \"{key}\" must be >= 0"))
    }

    fn index(&self, key: &str) -> Result<usize, String> {
        let x = self.int(key)?;
        usize::try_from(x).map_err(|_| format!("field \"{key}\" must be a coin index >= 0"))
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        self.get(key)?
            .as_bool()
            .ok_or_else(|| format!("field \"{key}\" must be true or false"))
    }

    fn pool(&self, supply_key: Option<&str>) -> Result<stableswap::Pool, String> {
        let fee = if self.obj.contains_key("fee") {
            self.num("fee")?
        } else {
            0.0
        };
        let admin = if self.obj.contains_key("admin_fee") {
            self.num("admin_fee")?
        } else {
            0.0
        };
        let supply = match supply_key {
            Some(k) => self.num(k)?,
            None => 0.0,
        };
        stableswap::Pool::new(self.list("balances")?, self.num("amp")?, fee, admin, supply)
            .map_err(|e| e.to_string())
    }

    fn run(&self) -> Result<Value, String> {
        let v = match self.op.split_once('.').map(|(family, _)| family) {
            Some("v2") => self.run_v2()?,
            Some("v3") => self.run_v3()?,
            Some("stableswap") => self.run_stableswap()?,
            Some("compound") => self.run_compound()?,
            Some("weighted") => self.run_weighted()?,
            _ => return Err(format!("unknown op {}", self.op)),
        };
        check_finite(&v)?;
        Ok(v)
    }

    /// Constant-product (Uniswap v2) operations.
    fn run_v2(&self) -> Result<Value, String> {
        let e = |x: crate::amm::AmmError| x.to_string();
        Ok(match self.op {
            "v2.amount_out" => {
                json!({ "amount_out": v2::amount_out(self.num("reserve_in")?, self.num("reserve_out")?, self.num("amount_in")?, self.num("fee")?).map_err(e)? })
            }
            "v2.amount_in" => {
                json!({ "amount_in": v2::amount_in(self.num("reserve_in")?, self.num("reserve_out")?, self.num("amount_out")?, self.num("fee")?).map_err(e)? })
            }
            "v2.il" => json!({ "il": v2::impermanent_loss(self.num("price_ratio")?).map_err(e)? }),
            other => return Err(format!("unknown op {other}")),
        })
    }

    /// Weighted-pool (Balancer) operations.
    fn run_weighted(&self) -> Result<Value, String> {
        let e = |x: crate::amm::AmmError| x.to_string();
        Ok(match self.op {
            "weighted.amount_out" => json!({
                "amount_out": weighted::amount_out(
                    self.num("balance_in")?,
                    self.num("weight_in")?,
                    self.num("balance_out")?,
                    self.num("weight_out")?,
                    self.num("amount_in")?,
                    self.num("fee")?,
                )
                .map_err(e)?
            }),
            "weighted.il" => json!({
                "il": weighted::impermanent_loss(&self.list("weights")?, &self.list("price_ratios")?)
                    .map_err(e)?
            }),
            "weighted.balances" => json!({
                "balances": weighted::balances_for_prices(&self.list("weights")?, &self.list("prices")?)
                    .map_err(e)?
            }),
            other => return Err(format!("unknown op {other}")),
        })
    }

    /// Concentrated-liquidity (Uniswap v3) operations, float and exact.
    fn run_v3(&self) -> Result<Value, String> {
        let e = |x: crate::amm::AmmError| x.to_string();
        Ok(match self.op {
            "v3.liquidity_for_amounts" => {
                let (sp, sa, sb) = self.sqrt_prices()?;
                let l = v3::liquidity_for_amounts(
                    sp,
                    sa,
                    sb,
                    self.num("amount0")?,
                    self.num("amount1")?,
                )
                .map_err(e)?;
                let (a0, a1) = v3::amounts_for_liquidity(sp, sa, sb, l).map_err(e)?;
                json!({ "liquidity": l, "amount0": a0, "amount1": a1 })
            }
            "v3.amounts_for_liquidity" => {
                let (sp, sa, sb) = self.sqrt_prices()?;
                let (a0, a1) =
                    v3::amounts_for_liquidity(sp, sa, sb, self.num("liquidity")?).map_err(e)?;
                json!({ "amount0": a0, "amount1": a1 })
            }
            "v3.il" => {
                let r = v3::range_il(
                    self.num("price_lower")?,
                    self.num("price_upper")?,
                    self.num("price_initial")?,
                    self.num("price_final")?,
                )
                .map_err(e)?;
                json!({ "il": r.il, "value_lp": r.value_lp, "value_hodl": r.value_hodl })
            }
            "v3.tick_to_price" => {
                let t = self.int("tick")?;
                let t = i32::try_from(t).map_err(|_| format!("tick {t} is out of range"))?;
                let s = v3::tick_to_sqrt_price(t).map_err(e)?;
                json!({ "price": s * s, "sqrt_price": s })
            }
            "v3.sqrt_ratio_at_tick" => {
                let t = self.int("tick")?;
                let t = i32::try_from(t).map_err(|_| format!("tick {t} is out of range"))?;
                let s = v3_exact::sqrt_ratio_at_tick(t).map_err(|m| m.0)?;
                json!({ "sqrt_price_x96": s.to_string() })
            }
            "v3.tick_at_sqrt_ratio" => {
                let s = self.big("sqrt_price_x96")?;
                json!({ "tick": v3_exact::tick_at_sqrt_ratio(s).map_err(|m| m.0)? })
            }
            "v3.swap_step" => self.v3_swap_step()?,
            "v3.price_to_tick" => {
                json!({ "tick": v3::price_to_tick(self.num("price")?).map_err(e)? })
            }
            other => return Err(format!("unknown op {other}")),
        })
    }

    /// `v3.swap_step`: one step of the contract's swap loop, in exact integers.
    fn v3_swap_step(&self) -> Result<Value, String> {
        let l = self.big("liquidity")?;
        let l =
            u128::try_from(l).map_err(|_| "field \"liquidity\" must fit uint128".to_string())?;
        let fee = self.int("fee_pips")?;
        let fee = u32::try_from(fee).map_err(|_| format!("fee_pips {fee} must be in [0, 1e6)"))?;
        // Positive: an exact input; negative: an exact output (as in the contract).
        let raw = match self.get("amount_remaining")? {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_i64() => n.to_string(),
            _ => return Err("field \"amount_remaining\" must be a whole number as a decimal string (negative: exact output)".into()),
        };
        let (exact_in, digits) = match raw.strip_prefix('-') {
            Some(d) => (false, d.to_string()),
            None => (true, raw.clone()),
        };
        let amount = v3_exact::parse_u256(&digits)
            .map_err(|m| format!("field \"amount_remaining\": {m}"))?;
        let step = v3_exact::swap_step(
            self.big("sqrt_price_x96")?,
            self.big("sqrt_target_x96")?,
            l,
            amount,
            exact_in,
            fee,
        )
        .map_err(|m| m.0)?;
        Ok(json!({
            "sqrt_next_x96": step.sqrt_next.to_string(),
            "amount_in": step.amount_in.to_string(),
            "amount_out": step.amount_out.to_string(),
            "fee_amount": step.fee.to_string(),
        }))
    }

    /// StableSwap (Curve) operations, float (here) and exact (`run_stableswap_exact`).
    fn run_stableswap(&self) -> Result<Value, String> {
        if self.op.ends_with("_exact") {
            return self.run_stableswap_exact();
        }
        let e = |x: crate::amm::AmmError| x.to_string();
        Ok(match self.op {
            "stableswap.d" => {
                json!({ "d": stableswap::get_d(&self.list("balances")?, self.num("amp")?).map_err(e)? })
            }
            "stableswap.exchange" => {
                let r = self
                    .pool(None)?
                    .quote_exchange(self.index("i")?, self.index("j")?, self.num("dx")?)
                    .map_err(e)?;
                json!({ "dy": r.dy, "fee": r.fee, "balances_after": r.balances_after })
            }
            "stableswap.add_liquidity" => {
                let r = self
                    .pool(Some("lp_supply"))?
                    .quote_add_liquidity(&self.list("amounts")?)
                    .map_err(e)?;
                json!({ "lp_minted": r.lp_amount, "fees": r.fees, "balances_after": r.balances_after })
            }
            "stableswap.remove_liquidity_one_coin" => {
                let r = self
                    .pool(Some("lp_supply"))?
                    .quote_remove_liquidity_one_coin(self.num("token_amount")?, self.index("i")?)
                    .map_err(e)?;
                json!({ "dy": r.dy, "fee": r.fee, "balances_after": r.balances_after })
            }
            "stableswap.remove_liquidity_imbalance" => {
                let r = self
                    .pool(Some("lp_supply"))?
                    .quote_remove_liquidity_imbalance(&self.list("amounts")?)
                    .map_err(e)?;
                json!({ "lp_burned": r.lp_amount, "fees": r.fees, "balances_after": r.balances_after })
            }
            "stableswap.virtual_price" => {
                json!({ "virtual_price": self.pool(Some("lp_supply"))?.virtual_price().map_err(e)? })
            }
            other => return Err(format!("unknown op {other}")),
        })
    }

    /// StableSwap operations in the contract's integer arithmetic.
    fn run_stableswap_exact(&self) -> Result<Value, String> {
        Ok(match self.op {
            "stableswap.exchange_exact" => {
                let (dy, fee, after) = stableswap_exact::exchange(
                    &self.bigs("balances")?,
                    self.small("amp")?,
                    self.small("fee")?,
                    self.small("admin_fee")?,
                    self.index("i")?,
                    self.index("j")?,
                    self.big("dx")?,
                )
                .map_err(|m| m.0)?;
                let after: Vec<String> = after.iter().map(|b| b.to_string()).collect();
                json!({ "dy": dy.to_string(), "fee": fee.to_string(), "balances": after })
            }
            "stableswap.add_liquidity_exact" | "stableswap.remove_liquidity_imbalance_exact" => {
                let f = if self.op == "stableswap.add_liquidity_exact" {
                    stableswap_exact::add_liquidity
                } else {
                    stableswap_exact::remove_liquidity_imbalance
                };
                let (lp, after) = f(
                    &self.bigs("balances")?,
                    self.small("amp")?,
                    self.small("fee")?,
                    self.small("admin_fee")?,
                    self.big("supply")?,
                    &self.bigs("amounts")?,
                )
                .map_err(|m| m.0)?;
                let after: Vec<String> = after.iter().map(|b| b.to_string()).collect();
                json!({ "lp_tokens": lp.to_string(), "balances": after })
            }
            "stableswap.remove_liquidity_one_coin_exact" => {
                let (dy, fee) = stableswap_exact::calc_withdraw_one_coin(
                    &self.bigs("balances")?,
                    self.small("amp")?,
                    self.small("fee")?,
                    self.big("supply")?,
                    self.big("token_amount")?,
                    self.index("i")?,
                )
                .map_err(|m| m.0)?;
                json!({ "dy": dy.to_string(), "fee": fee.to_string() })
            }
            other => return Err(format!("unknown op {other}")),
        })
    }

    /// Auto-compounding operations.
    fn run_compound(&self) -> Result<Value, String> {
        let e = |x: crate::amm::AmmError| x.to_string();
        Ok(match self.op {
            "compound.value" => {
                json!({ "value": compound::value(self.num("principal")?, self.num("apr")?, self.num("harvests_per_year")?, self.num("years")?, self.num("cost_per_harvest")?, self.flag("cost_from_position")?).map_err(e)? })
            }
            "compound.optimal_harvests" => {
                let max = self.int("max_harvests")?;
                let max = u32::try_from(max)
                    .ok()
                    .filter(|m| (1..=1_000_000).contains(m))
                    .ok_or_else(|| format!("max_harvests {max} must be between 1 and 1000000"))?;
                let (n, v) = compound::optimal_harvests(
                    self.num("principal")?,
                    self.num("apr")?,
                    self.num("years")?,
                    self.num("cost_per_harvest")?,
                    self.flag("cost_from_position")?,
                    max,
                )
                .map_err(e)?;
                json!({ "harvests_per_year": n, "value": v })
            }
            other => return Err(format!("unknown op {other}")),
        })
    }

    fn sqrt_prices(&self) -> Result<(f64, f64, f64), String> {
        let root = |k: &str| -> Result<f64, String> {
            let p = self.num(k)?;
            if p.is_finite() && p > 0.0 {
                Ok(p.sqrt())
            } else {
                Err(format!("field \"{k}\" must be a price > 0, got {p}"))
            }
        };
        Ok((root("price")?, root("price_lower")?, root("price_upper")?))
    }
}

fn to_f64(v: &Value) -> Result<f64, String> {
    let x = match v {
        Value::Number(n) => n.as_f64().ok_or("not representable as a number")?,
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("'{s}' is not a number"))?,
        other => {
            return Err(format!(
                "expected a number or a numeric string, got {other}"
            ))
        }
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err("must be finite".into())
    }
}

fn check_finite(v: &Value) -> Result<(), String> {
    match v {
        Value::Null => Err("the result is not a finite number (overflow)".into()),
        Value::Array(a) => a.iter().try_for_each(check_finite),
        Value::Object(o) => o.values().try_for_each(check_finite),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_ops() {
        let a = answer(r#"{"op":"weighted.il","weights":[0.8,0.2],"price_ratios":[2,1]}"#);
        let il = a["il"].as_f64().unwrap();
        assert!((il - (2f64.powf(0.8) / 1.8 - 1.0)).abs() < 1e-15, "{a}");
        let a = answer(
            r#"{"op":"weighted.amount_out","balance_in":1000,"weight_in":0.5,"balance_out":2000,"weight_out":0.5,"amount_in":10,"fee":0.003}"#,
        );
        let v2 = crate::amm::v2::amount_out(1000.0, 2000.0, 10.0, 0.003).unwrap();
        assert!((a["amount_out"].as_f64().unwrap() - v2).abs() < 1e-9, "{a}");
        let a = answer(r#"{"op":"weighted.balances","weights":[0.8,0.3],"prices":[1,1]}"#);
        assert!(
            a["error"].as_str().unwrap().contains("sum of the weights"),
            "{a}"
        );
    }

    #[test]
    fn answers_and_errors() {
        let a = answer(r#"{"op":"v2.il","price_ratio":4,"id":7}"#);
        assert!((a["il"].as_f64().unwrap() + 0.2).abs() < 1e-15);
        assert_eq!(a["id"], 7);
        let a = answer(
            r#"{"op":"v2.amount_out","reserve_in":"100","reserve_out":300000,"amount_in":1,"fee":0.003}"#,
        );
        assert!((a["amount_out"].as_f64().unwrap() - 2961.474103190193).abs() < 1e-9);
        assert!(answer("nope")["error"]
            .as_str()
            .unwrap()
            .contains("not a JSON object"));
        assert!(
            answer(r#"{"op":"v2.ill"}"#)["error"]
                .as_str()
                .unwrap()
                .contains("did you mean \"v2.il\"")
                || answer(r#"{"op":"v2.ill"}"#)["error"]
                    .as_str()
                    .unwrap()
                    .contains("did you mean 'v2.il'")
        );
        assert!(answer(r#"{"op":"v2.il","price_ratio":4,"fee":1}"#)["error"]
            .as_str()
            .unwrap()
            .contains("unknown field \"fee\""));
        assert!(answer(r#"{"op":"v2.il"}"#)["error"]
            .as_str()
            .unwrap()
            .contains("missing field \"price_ratio\""));
        assert!(answer(r#"{"op":"v2.il","price_ratio":-1}"#)["error"]
            .as_str()
            .unwrap()
            .contains("price_ratio"));
        assert!(answer(r#"{"op":"v3.tick_to_price","tick":1.5}"#)["error"]
            .as_str()
            .unwrap()
            .contains("whole number"));
    }
}
