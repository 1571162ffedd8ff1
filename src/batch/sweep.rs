//! Expanding a strategy file into runs: a `[sweep]` table gives values per parameter
//! (lists, linear ranges with a step, log ranges), the runner takes their Cartesian
//! product; `[sweep.zip]` parameters move together; `[windows]` repeats every run over
//! rolling start dates; `[bootstrap]` over seeded block-bootstrap resamples of the market.
//!
//! ```toml
//! [sweep]
//! "strategy.interval" = ["1h", "6h", "1d", "7d"]
//! capital_usd = { from = 1000, to = 1000000, log_steps = 7 }
//! "strategy.gas_multiple" = { from = 5, to = 50, step = 5 }
//! [sweep.zip]
//! "strategy.width_pct" = [5, 10, 20]
//! "strategy.min_interval" = ["1h", "6h", "1d"]
//! [windows]
//! every = "30d"
//! length = "180d"
//! [bootstrap]
//! samples = 100
//! block = "7d"
//! seed = 1
//! ```
//!
//! Parameter names are dotted paths into the file (`capital_usd`, `strategy.pool`,
//! `vault.performance_fee`, `gas.gas_price_gwei`). Runs are numbered in a fixed order:
//! windows outermost, then the product of `[sweep]` keys in name order (last fastest),
//! then zipped values, then bootstrap samples.

use std::path::Path;

use toml::Value;

use crate::units::{format_ts, parse_datetime, parse_duration};

/// The default limit on runs per invocation; `--max-runs` raises it.
pub const DEFAULT_MAX_RUNS: usize = 1_000_000;

/// A bootstrap request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    pub samples: u32,
    pub block_secs: i64,
    pub seed: u64,
}

/// One run of an expanded file: its TOML document and what distinguishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Parameter path → value as text, in path order.
    pub params: Vec<(String, String)>,
    pub doc: Value,
    /// (sample number, request) for bootstrap runs.
    pub sample: Option<(u32, Bootstrap)>,
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn values_of(path: &str, spec: &Value, max_runs: usize) -> Result<Vec<Value>, String> {
    let too_many = |n: f64| {
        format!("sweep '{path}': {n} values, over the limit of {max_runs} runs; shrink it or raise the limit with --max-runs")
    };
    match spec {
        Value::Array(a) if !a.is_empty() => Ok(a.clone()),
        Value::Array(_) => Err(format!("sweep '{path}': the list is empty")),
        Value::Table(t) => {
            let num = |k: &str| -> Result<f64, String> {
                match t.get(k) {
                    Some(Value::Integer(i)) => Ok(*i as f64),
                    Some(Value::Float(f)) => Ok(*f),
                    Some(other) => Err(format!(
                        "sweep '{path}': `{k}` must be a number, got {other}"
                    )),
                    None => Err(format!("sweep '{path}': missing `{k}`")),
                }
            };
            for k in t.keys() {
                if !["from", "to", "step", "log_steps"].contains(&k.as_str()) {
                    return Err(format!("sweep '{path}': unknown key `{k}`; a range has from, to and step (or log_steps)"));
                }
            }
            let (from, to) = (num("from")?, num("to")?);
            let ints = matches!(t.get("from"), Some(Value::Integer(_)))
                && matches!(t.get("to"), Some(Value::Integer(_)));
            if t.contains_key("log_steps") {
                let n = num("log_steps")?;
                if !(from > 0.0 && to > from && n >= 2.0 && n.fract() == 0.0) {
                    return Err(format!("sweep '{path}': a log range needs 0 < from < to and log_steps >= 2 (a whole number)"));
                }
                if n > max_runs as f64 {
                    return Err(too_many(n));
                }
                let n = n as usize;
                Ok((0..n)
                    .map(|k| {
                        let x = from * (to / from).powf(k as f64 / (n - 1) as f64);
                        // Round to 12 significant digits so values print as written.
                        let x = format!("{x:.12e}").parse::<f64>().unwrap_or(x);
                        Value::Float(x)
                    })
                    .collect())
            } else {
                let step = num("step")?;
                if !(step > 0.0 && to >= from) {
                    return Err(format!(
                        "sweep '{path}': a range needs from <= to and step > 0"
                    ));
                }
                let n = ((to - from) / step + 1e-9).floor() + 1.0;
                if n.is_nan() || n > max_runs as f64 {
                    return Err(too_many(n));
                }
                let n = n as usize;
                Ok((0..n)
                    .map(|k| {
                        let x = from + k as f64 * step;
                        if ints && step.fract() == 0.0 {
                            Value::Integer(x as i64)
                        } else {
                            Value::Float(format!("{x:.12e}").parse::<f64>().unwrap_or(x))
                        }
                    })
                    .collect())
            }
        }
        other => Err(format!(
            "sweep '{path}': give a list of values or a range table, got {other}"
        )),
    }
}

/// Deepest key a strategy file may have (its real keys are at most 4 levels deep).
pub const MAX_KEY_DEPTH: usize = 16;

/// Checks every number in a strategy document: finite (no nan, inf) and tables at most
/// `MAX_KEY_DEPTH` deep; the error names the dotted key.
pub fn check_document(doc: &Value) -> Result<(), String> {
    fn walk(v: &Value, path: &mut Vec<String>) -> Result<(), String> {
        if path.len() > MAX_KEY_DEPTH {
            return Err(format!(
                "'{}…' nests deeper than the {MAX_KEY_DEPTH} levels a strategy file has",
                path.iter().take(8).cloned().collect::<Vec<_>>().join(".")
            ));
        }
        match v {
            Value::Float(f) if !f.is_finite() => {
                Err(format!("{} = {f}: numbers must be finite", path.join(".")))
            }
            Value::Table(t) => {
                for (k, x) in t {
                    path.push(k.clone());
                    walk(x, path)?;
                    path.pop();
                }
                Ok(())
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    walk(x, path)?;
                    path.pop();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(doc, &mut Vec::new())
}

/// Sets `path` (dotted) in a TOML document, creating tables on the way.
pub fn set_path(doc: &mut Value, path: &str, v: Value) -> Result<(), String> {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() > MAX_KEY_DEPTH {
        return Err(format!(
            "sweep '{}…': a key of {} levels, more than the {MAX_KEY_DEPTH} levels a strategy file has",
            path.chars().take(40).collect::<String>(),
            parts.len()
        ));
    }
    for (k, part) in parts.iter().enumerate() {
        let table = cur
            .as_table_mut()
            .ok_or_else(|| format!("sweep '{path}': '{}' is not a table", parts[..k].join(".")))?;
        if k + 1 == parts.len() {
            table.insert(part.to_string(), v);
            return Ok(());
        }
        cur = table
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Default::default()));
    }
    Ok(())
}

fn take_table(doc: &mut Value, key: &str) -> Option<toml::Table> {
    match doc.as_table_mut()?.remove(key)? {
        Value::Table(t) => Some(t),
        _ => None,
    }
}

/// Expands a strategy file's text into its runs. `max_runs` bounds the total.
pub fn expand(text: &str, path: &Path, max_runs: usize) -> Result<Vec<Variant>, String> {
    let mut doc: Value = toml::from_str(text)
        .map_err(|e| format!("invalid strategy file: {}", e.to_string().trim_end()))?;
    check_document(&doc)?;
    let mut sweep = take_table(&mut doc, "sweep").unwrap_or_default();
    let zip = match sweep.remove("zip") {
        Some(Value::Table(t)) => t,
        Some(_) => return Err("[sweep.zip] must be a table of lists".into()),
        None => Default::default(),
    };
    let windows = take_table(&mut doc, "windows");
    let bootstrap = take_table(&mut doc, "bootstrap");
    let mut axes: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, v) in &sweep {
        axes.push((k.clone(), values_of(k, v, max_runs)?));
    }
    let mut zipped: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, v) in &zip {
        zipped.push((k.clone(), values_of(k, v, max_runs)?));
    }
    let zip_len = zipped.first().map(|z| z.1.len()).unwrap_or(1);
    if let Some((k, _)) = zipped.iter().find(|z| z.1.len() != zip_len) {
        return Err(format!(
            "[sweep.zip] lists must have the same length; '{k}' differs from '{}'",
            zipped[0].0
        ));
    }
    // Windows: (start, end) pairs.
    let spans = match windows {
        Some(w) => window_spans(&w, &doc, max_runs)?,
        None => vec![None],
    };
    let samples: Vec<Option<(u32, Bootstrap)>> = match bootstrap {
        None => vec![None],
        Some(b) => bootstrap_samples(&b)?,
    };
    let too_many = |total: String| {
        format!(
            "{}: the sweep expands to {total} runs, over the limit of {max_runs}; shrink it or raise the limit with --max-runs",
            path.display()
        )
    };
    let grid: usize = axes
        .iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.1.len()))
        .ok_or_else(|| too_many("more than 2^64".into()))?;
    let total = (spans.len() as u128)
        .saturating_mul(grid as u128)
        .saturating_mul(zip_len as u128)
        .saturating_mul(samples.len() as u128);
    if total > max_runs as u128 {
        return Err(format!(
            "{}: the sweep expands to {total} runs, over the limit of {max_runs}; shrink it or raise the limit with --max-runs",
            path.display()
        ));
    }
    let mut out = Vec::with_capacity(total as usize);
    for span in &spans {
        for g in 0..grid {
            let picks = grid_picks(&axes, g);
            for z in 0..zip_len {
                for sample in &samples {
                    out.push(variant(
                        &doc,
                        *span,
                        (&axes, &picks),
                        (&zipped, z),
                        *sample,
                    )?);
                }
            }
        }
    }
    Ok(out)
}

/// The `[windows]` table's (start, end) spans between the file's `start` and `end`.
fn window_spans(
    w: &toml::Table,
    doc: &Value,
    max_runs: usize,
) -> Result<Vec<Option<(i64, i64)>>, String> {
    let get = |k: &str| -> Result<i64, String> {
        let s = w
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("[windows] needs `{k}` (e.g. \"30d\")"))?;
        parse_duration(s).map_err(|m| format!("[windows] {k}: {m}"))
    };
    for k in w.keys() {
        if !["every", "length"].contains(&k.as_str()) {
            return Err(format!(
                "[windows]: unknown key `{k}`; it takes every and length"
            ));
        }
    }
    let (every, length) = (get("every")?, get("length")?);
    let date = |k: &str| -> Result<i64, String> {
        let s = doc
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("[windows] needs the file's `{k}` date"))?;
        parse_datetime(s).ok_or_else(|| format!("{k} = '{s}' is not a date"))
    };
    let (start, end) = (date("start")?, date("end")?);
    let mut spans = Vec::new();
    let mut s = start;
    while s.saturating_add(length) <= end {
        spans.push(Some((s, s.saturating_add(length))));
        s = s.saturating_add(every);
        if spans.len() > max_runs {
            break;
        }
    }
    if spans.is_empty() {
        return Err(format!(
            "[windows]: no window of length {} fits between start and end",
            length / 86_400
        ));
    }
    Ok(spans)
}

/// The `[bootstrap]` table's samples, each with its index.
fn bootstrap_samples(b: &toml::Table) -> Result<Vec<Option<(u32, Bootstrap)>>, String> {
    for k in b.keys() {
        if !["samples", "block", "seed"].contains(&k.as_str()) {
            return Err(format!(
                "[bootstrap]: unknown key `{k}`; it takes samples, block and seed"
            ));
        }
    }
    let samples = b
        .get("samples")
        .and_then(Value::as_integer)
        .ok_or("[bootstrap] needs `samples` (a whole number)")?;
    let block = b
        .get("block")
        .and_then(Value::as_str)
        .ok_or("[bootstrap] needs `block` (e.g. \"7d\")")?;
    let block_secs = parse_duration(block).map_err(|m| format!("[bootstrap] block: {m}"))?;
    let seed = b.get("seed").and_then(Value::as_integer).unwrap_or(0);
    if !(1..=1_000_000).contains(&samples) || seed < 0 {
        return Err("[bootstrap]: samples must be 1 to 1000000 and seed >= 0".into());
    }
    let req = Bootstrap {
        samples: samples as u32,
        block_secs,
        seed: seed as u64,
    };
    Ok((0..req.samples).map(|s| Some((s, req))).collect())
}

/// An axis of a sweep: its path and its values.
type Axis = (String, Vec<Value>);

/// The value index of each axis for grid point `g`: its mixed-radix digits, the last
/// axis fastest.
fn grid_picks(axes: &[Axis], g: usize) -> Vec<usize> {
    let mut rem = g;
    let mut picks = vec![0usize; axes.len()];
    for (k, a) in axes.iter().enumerate().rev() {
        picks[k] = rem % a.1.len();
        rem /= a.1.len();
    }
    picks
}

/// One run of the sweep: the document with its window, its axes' picks, its zipped
/// lists' `z`-th values and its bootstrap sample set, and the parameters that name it.
fn variant(
    doc: &Value,
    span: Option<(i64, i64)>,
    (axes, picks): (&[Axis], &[usize]),
    (zipped, z): (&[Axis], usize),
    sample: Option<(u32, Bootstrap)>,
) -> Result<Variant, String> {
    let mut d = doc.clone();
    let mut params = Vec::new();
    if let (Some((s, e)), Some(t)) = (span, d.as_table_mut()) {
        t.insert("start".into(), Value::String(format_ts(s)));
        t.insert("end".into(), Value::String(format_ts(e)));
        params.push(("window".to_string(), format_ts(s)[..10].to_string()));
    }
    for (k, a) in axes.iter().enumerate() {
        let v = a.1[picks[k]].clone();
        params.push((a.0.clone(), value_text(&v)));
        set_path(&mut d, &a.0, v)?;
    }
    for zz in zipped {
        let v = zz.1[z].clone();
        params.push((zz.0.clone(), value_text(&v)));
        set_path(&mut d, &zz.0, v)?;
    }
    if let Some((s, _)) = sample {
        params.push(("bootstrap".to_string(), s.to_string()));
    }
    Ok(Variant {
        params,
        doc: d,
        sample,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "data = \"d\"\ncapital_usd = 1000\nstart = \"2022-01-01\"\nend = \"2022-12-31\"\n[strategy]\nkind = \"lend\"\nmarket = \"m\"\nasset = \"USD\"\n";

    fn params(v: &[Variant]) -> Vec<Vec<(String, String)>> {
        v.iter().map(|x| x.params.clone()).collect()
    }

    #[test]
    fn cartesian_product_in_a_fixed_order() {
        let text = format!("{BASE}[sweep]\ncapital_usd = [1000, 2000]\n\"strategy.asset\" = [\"USD\", \"USDC\", \"DAI\"]\n");
        let v = expand(&text, Path::new("f.toml"), 100).unwrap();
        assert_eq!(v.len(), 6);
        let p = params(&v);
        assert_eq!(
            p[0],
            vec![
                ("capital_usd".into(), "1000".into()),
                ("strategy.asset".into(), "USD".into())
            ]
        );
        assert_eq!(p[1][1].1, "USDC");
        assert_eq!(
            p[3],
            vec![
                ("capital_usd".into(), "2000".into()),
                ("strategy.asset".into(), "USD".into())
            ]
        );
        assert_eq!(v[4].doc["strategy"]["asset"].as_str(), Some("USDC"));
        assert_eq!(v[4].doc["capital_usd"].as_integer(), Some(2000));
    }

    #[test]
    fn ranges_log_ranges_and_zips() {
        let text = format!(
            "{BASE}[sweep]\ncapital_usd = {{ from = 100, to = 100000, log_steps = 4 }}\n\"gas.gas_price_gwei\" = {{ from = 10, to = 30, step = 10 }}\n[sweep.zip]\na = [1, 2]\nb = [\"x\", \"y\"]\n"
        );
        let v = expand(&text, Path::new("f.toml"), 100).unwrap();
        assert_eq!(v.len(), 4 * 3 * 2);
        let caps: Vec<String> = v.iter().step_by(6).map(|x| x.params[0].1.clone()).collect();
        assert_eq!(caps, vec!["100.0", "1000.0", "10000.0", "100000.0"]);
        assert_eq!(v[0].params[1].1, "10");
        assert_eq!(v[2].params[1].1, "20");
        assert_eq!(
            (v[0].params[2].1.as_str(), v[0].params[3].1.as_str()),
            ("1", "x")
        );
        assert_eq!(
            (v[1].params[2].1.as_str(), v[1].params[3].1.as_str()),
            ("2", "y")
        );
        assert_eq!(v[0].doc["gas"]["gas_price_gwei"].as_integer(), Some(10));
        let bad = format!("{BASE}[sweep.zip]\na = [1, 2]\nb = [1]\n");
        assert!(expand(&bad, Path::new("f.toml"), 100)
            .unwrap_err()
            .contains("same length"));
    }

    #[test]
    fn windows_bootstrap_and_the_limit() {
        let text = format!("{BASE}[windows]\nevery = \"90d\"\nlength = \"180d\"\n[bootstrap]\nsamples = 3\nblock = \"7d\"\nseed = 5\n");
        let v = expand(&text, Path::new("f.toml"), 100).unwrap();
        // Windows start 2022-01-01, 04-01, 06-30 (each 180 days within 364): 3 × 3 samples.
        assert_eq!(v.len(), 9);
        assert_eq!(v[0].params[0], ("window".into(), "2022-01-01".into()));
        assert_eq!(v[3].params[0].1, "2022-04-01");
        assert_eq!(v[3].doc["end"].as_str(), Some("2022-09-28T00:00:00Z"));
        assert_eq!(v[2].sample.unwrap().0, 2);
        let big = format!("{BASE}[sweep]\na = {{ from = 1, to = 1000, step = 1 }}\nb = {{ from = 1, to = 1000, step = 1 }}\nc = {{ from = 1, to = 1000, step = 1 }}\n");
        let err = expand(&big, Path::new("f.toml"), DEFAULT_MAX_RUNS).unwrap_err();
        assert!(
            err.contains("1000000000 runs") && err.contains("--max-runs"),
            "{err}"
        );
    }
}
