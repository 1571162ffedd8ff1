//! `yieldlab data fetch` against a local HTTP server that answers in each API's
//! published shape (no network): DefiLlama's /pools and /chart/{pool}, a Uniswap v3
//! subgraph's GraphQL, Etherscan's dailyavggasprice. Retries, rate limits, resuming
//! after a failure, and the written manifest read back by `data check`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

type Handler = dyn Fn(&Seen, usize) -> (u16, Vec<(String, String)>, String) + Send + Sync;

/// A local HTTP/1.1 server answering each request with `handler(request, how many
/// requests of this path came before)`; every request is logged.
struct Server {
    url: String,
    log: Arc<Mutex<Vec<Seen>>>,
}

fn serve(handler: Arc<Handler>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut headers = Vec::new();
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                    if k == "content-length" {
                        length = v.parse().unwrap_or(0);
                    }
                    headers.push((k, v));
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            let req = Seen {
                method,
                path,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            };
            let before = {
                let mut l = seen.lock().unwrap();
                let n = l
                    .iter()
                    .filter(|s| s.path == req.path && s.body == req.body)
                    .count();
                l.push(req.clone());
                n
            };
            let (status, extra, text) = handler(&req, before);
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                text.len()
            );
            for (k, v) in extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(text.as_bytes());
        }
    });
    Server { url, log }
}

fn ok(body: String) -> (u16, Vec<(String, String)>, String) {
    (200, Vec::new(), body)
}

const POOL_A: &str = "747c1d2a-c668-4682-b9f9-296708a3dd90";
const POOL_B: &str = "665dc8bc-c79d-4800-97f7-304bf368e547";

/// DefiLlama's /pools: the pools with their chain, project, symbol.
fn llama_pools() -> String {
    serde_json::json!({"status": "success", "data": [
        {"chain": "Ethereum", "project": "uniswap-v3", "symbol": "USDC-WETH", "tvlUsd": 1.5e8,
         "apyBase": 12.3, "apyReward": null, "apy": 12.3, "pool": POOL_A, "stablecoin": false,
         "ilRisk": "yes", "exposure": "multi", "underlyingTokens": ["0xa0b8", "0xc02a"]},
        {"chain": "Arbitrum", "project": "uniswap-v3", "symbol": "WETH-USDT", "tvlUsd": 2.1e7,
         "apyBase": 20.1, "apyReward": 1.5, "apy": 21.6, "pool": POOL_B, "stablecoin": false,
         "ilRisk": "yes", "exposure": "multi", "underlyingTokens": ["0x82af", "0xfd08"]},
        {"chain": "Ethereum", "project": "aave-v3", "symbol": "USDC", "tvlUsd": 9e8,
         "apyBase": 4.1, "apyReward": null, "apy": 4.1, "pool": "aave-usdc", "stablecoin": true},
        {"chain": "Ethereum", "project": "balancer-v2", "symbol": "WBTC-WETH", "tvlUsd": 3e7,
         "apyBase": 2.0, "apyReward": null, "apy": 2.0, "pool": "bal-pool", "stablecoin": false}
    ]})
    .to_string()
}

/// DefiLlama's /chart/{pool}: daily points.
fn llama_chart(tvl: f64) -> String {
    let points: Vec<serde_json::Value> = (0..5)
        .map(|d| {
            serde_json::json!({
                "timestamp": format!("2023-01-{:02}T23:01:{:02}.{:03}Z", d + 1, 10 + d, 100 + d),
                "tvlUsd": tvl + 1000.0 * d as f64, "apy": 10.0 + d as f64, "apyBase": 9.0 + d as f64,
                "apyReward": if d % 2 == 0 { serde_json::Value::Null } else { serde_json::json!(1.0) },
                "il7d": null, "apyBase7d": null
            })
        })
        .collect();
    serde_json::json!({"status": "success", "data": points}).to_string()
}

fn fetch_llama(url: &str, out: &std::path::Path, retries: &str) -> common::Run {
    common::yieldlab(
        &[
            "data",
            "fetch",
            "defillama",
            "--pool",
            POOL_A,
            "--pool",
            POOL_B,
            "--base-url",
            url,
            "--out",
            out.to_str().unwrap(),
            "--rate",
            "200",
            "--retries",
            retries,
        ],
        &common::repo(),
    )
}

#[test]
fn defillama_yields_fetch_with_retries_resume_and_a_manifest_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("llama");
    // Pool B's chart fails with 500 until the server is told to mend.
    let mended = Arc::new(Mutex::new(false));
    let m = Arc::clone(&mended);
    let server = serve(Arc::new(move |r: &Seen, before: usize| {
        match r.path.as_str() {
            "/pools" => ok(llama_pools()),
            // The first chart request is rate-limited: Retry-After says when to come back.
            p if p == format!("/chart/{POOL_A}") && before == 0 => (
                429,
                vec![("Retry-After".into(), "0".into())],
                "{\"error\":\"slow down\"}".into(),
            ),
            p if p == format!("/chart/{POOL_A}") => ok(llama_chart(1.0e8)),
            p if p == format!("/chart/{POOL_B}") && !*m.lock().unwrap() => {
                (500, Vec::new(), "upstream down".into())
            }
            p if p == format!("/chart/{POOL_B}") => ok(llama_chart(2.0e7)),
            _ => (404, Vec::new(), "{}".into()),
        }
    }));
    let run = fetch_llama(&server.url, &out, "2");
    assert_eq!(
        run.code, 1,
        "a source that stays down is a failure: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("/chart/{POOL_B}: HTTP 500 after 3 attempt(s)")),
        "{}",
        run.stderr
    );
    assert!(!out.join("manifest.toml").exists(), "nothing half-written");
    let before = server.log.lock().unwrap().len();
    *mended.lock().unwrap() = true;
    let run = fetch_llama(&server.url, &out, "2");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Resumed: /pools and pool A's chart came from the first fetch; only B was asked again.
    let again: Vec<String> = server.log.lock().unwrap()[before..]
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(again, vec![format!("/chart/{POOL_B}")]);
    assert!(
        run.stdout.contains("wrote 10 rows of 2 series")
            && run.stdout.contains("1 requests sent, 2 resumed"),
        "{}",
        run.stdout
    );
    assert!(
        !out.join(".yieldlab-fetch").exists(),
        "kept responses are dropped once complete"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.toml")).unwrap();
    assert!(
        manifest.contains("kind = \"concentrated\"") && manifest.contains("# assumed:"),
        "{manifest}"
    );
    let check = common::yieldlab(
        &["data", "check", out.join("manifest.toml").to_str().unwrap()],
        &common::repo(),
    );
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let ds = yieldlab::data::Dataset::load(&out.join("manifest.toml"), None).unwrap();
    let a = ds
        .get(
            yieldlab::market::SeriesKind::Pool,
            &format!("llama_{POOL_A}"),
        )
        .unwrap();
    assert_eq!(
        a.fields[&yieldlab::market::Field::TvlUsd][..2],
        [1.0e8, 1.0e8 + 1000.0]
    );
    assert!((a.fields[&yieldlab::market::Field::ApyBase][0] - 0.09).abs() < 1e-12);

    // A project that names no kind, a one-token pool, and a pool the source does not list.
    for (pool, says) in [
        (
            "bal-pool",
            "project 'balancer-v2' does not say the pool's kind; give --kind",
        ),
        ("aave-usdc", "its symbol does not name two tokens"),
        ("nope", "pool 'nope' is not in"),
    ] {
        let run = common::yieldlab(
            &[
                "data",
                "fetch",
                "defillama",
                "--pool",
                pool,
                "--base-url",
                &server.url,
                "--out",
                dir.path().join(pool).to_str().unwrap(),
                "--rate",
                "200",
            ],
            &common::repo(),
        );
        assert_eq!(run.code, 2, "{pool}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{pool}: {}", run.stderr);
    }
}

#[test]
fn the_rate_limit_spaces_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(Arc::new(|r: &Seen, _| match r.path.as_str() {
        "/pools" => ok(llama_pools()),
        _ => ok(llama_chart(5.0e6)),
    }));
    let t = std::time::Instant::now();
    let run = common::yieldlab(
        &[
            "data",
            "fetch",
            "defillama",
            "--pool",
            POOL_A,
            "--pool",
            POOL_B,
            "--base-url",
            &server.url,
            "--out",
            dir.path().join("o").to_str().unwrap(),
            "--rate",
            "4",
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 3 requests at 4 per second: at least two gaps of 250 ms.
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
}

/// A subgraph's poolDayDatas: 1,500 days, answered a page of at most 1,000 at a time
/// from the query's `date_gt`.
fn subgraph_answer(r: &Seen) -> (u16, Vec<(String, String)>, String) {
    let q: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let q = q["query"].as_str().unwrap().to_string();
    if q.contains("pool(id:") {
        return ok(serde_json::json!({"data": {"pool": {
            "feeTier": "3000",
            "token0": {"id": "0xA0b8", "symbol": "USDC", "decimals": "6"},
            "token1": {"id": "0xC02a", "symbol": "WETH", "decimals": "18"}
        }}})
        .to_string());
    }
    let start = 1_620_172_800i64; // 2021-05-05
    let after: i64 = q
        .split("date_gt: ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    if q.contains("tokenDayDatas") {
        // USDC at $1; WETH not yet priced (0) on its first three days.
        let weth = q.contains("0xc02a");
        let days: Vec<serde_json::Value> = (0..1500)
            .map(|k| start + 86_400 * k)
            .filter(|d| *d > after)
            .take(1000)
            .map(|d| {
                let k = (d - start) / 86_400;
                let price = match (weth, k) {
                    (false, _) => "1.0".to_string(),
                    (true, 0..=2) => "0".to_string(),
                    (true, k) => format!("{}", 3000 + k),
                };
                serde_json::json!({"date": d, "priceUSD": price})
            })
            .collect();
        return ok(serde_json::json!({"data": {"tokenDayDatas": days}}).to_string());
    }
    let days: Vec<serde_json::Value> = (0..1500)
        .map(|k| start + 86_400 * k)
        .filter(|d| *d > after)
        .take(1000)
        .map(|d| {
            let k = (d - start) / 86_400;
            serde_json::json!({
                "date": d, "token0Price": "0.0003", "token1Price": format!("{}", 3000 + k),
                "volumeUSD": "1000000.5", "feesUSD": "3000.0015", "tvlUSD": "250000000",
                "liquidity": "17000000000000000000", "sqrtPrice": "1370000000000000000000000000000000",
                "tick": "195000", "feeGrowthGlobal0X128": format!("{}", 1_000_000_000_000i64 * (k + 1)),
                "feeGrowthGlobal1X128": format!("{}", 2_000_000_000_000i64 * (k + 1)), "txCount": "100"
            })
        })
        .collect();
    ok(serde_json::json!({"data": {"poolDayDatas": days}}).to_string())
}

#[test]
fn a_subgraph_pool_pages_by_date_and_its_manifest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sg");
    let server = serve(Arc::new(|r: &Seen, _| subgraph_answer(r)));
    let url = format!("{}/subgraphs/id/5zvR82", server.url);
    let run = common::yieldlab(
        &[
            "data",
            "fetch",
            "subgraph",
            "--url",
            &url,
            "--key",
            "k123",
            "--pool",
            "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8",
            "--start",
            "2021-05-05",
            "--end",
            "2025-12-31",
            "--out",
            out.to_str().unwrap(),
            "--rate",
            "200",
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = server.log.lock().unwrap().clone();
    assert_eq!(
        log.len(),
        7,
        "the pool, then two pages each of its days and its tokens' prices"
    );
    assert!(log.iter().all(|s| s.method == "POST"
        && s.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer k123")));
    assert!(
        run.stdout.contains("wrote 4497 rows of 3 series"),
        "{}",
        run.stdout
    );
    let manifest = std::fs::read_to_string(out.join("manifest.toml")).unwrap();
    assert!(
        manifest.contains("tick_spacing = 60")
            && manifest.contains("fee = 0.003")
            && manifest.contains("decimals = [6, 18]"),
        "{manifest}"
    );
    let ds = yieldlab::data::Dataset::load(&out.join("manifest.toml"), None).unwrap();
    let s = ds
        .get(yieldlab::market::SeriesKind::Pool, "univ3_usdc_weth_3000")
        .unwrap();
    assert_eq!(s.ts.len(), 1500);
    assert_eq!(
        s.fields[&yieldlab::market::Field::Price][..2],
        [3000.0, 3001.0]
    );
    let weth = ds.get(yieldlab::market::SeriesKind::Price, "WETH").unwrap();
    assert_eq!(weth.ts.len(), 1497, "unpriced days left out");
    assert!(
        manifest.contains("3 token price rows with priceUSD 0")
            && manifest.contains("native_asset = \"WETH\""),
        "{manifest}"
    );
    let check = common::yieldlab(
        &["data", "check", out.join("manifest.toml").to_str().unwrap()],
        &common::repo(),
    );
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    // A query the subgraph refuses names its message.
    let bad = serve(Arc::new(|_: &Seen, _| {
        ok("{\"errors\":[{\"message\":\"auth error: invalid API key\"}]}".into())
    }));
    let run = common::yieldlab(
        &[
            "data",
            "fetch",
            "subgraph",
            "--url",
            &bad.url,
            "--pool",
            "0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8",
            "--start",
            "2021-05-05",
            "--end",
            "2021-06-01",
            "--out",
            dir.path().join("bad").to_str().unwrap(),
            "--rate",
            "200",
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("the subgraph refused the query")
            && run.stderr.contains("invalid API key"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_etherscan_gas_series_fetches_a_year_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gas");
    let server = serve(Arc::new(|r: &Seen, _| {
        let q = r.path.split_once('?').map(|x| x.1).unwrap_or("");
        let get = |k: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .unwrap_or("")
                .to_string()
        };
        if get("apikey") != "KEY" {
            return ok(
                "{\"status\":\"0\",\"message\":\"NOTOK\",\"result\":\"Invalid API Key\"}".into(),
            );
        }
        let (from, to) = (
            yieldlab::units::parse_datetime(&get("startdate")).unwrap(),
            yieldlab::units::parse_datetime(&get("enddate")).unwrap(),
        );
        let days: Vec<serde_json::Value> = (0..)
            .map(|k| from + 86_400 * k)
            .take_while(|d| *d <= to)
            .map(|d| {
                let day = yieldlab::units::format_ts(d)[..10].to_string();
                if get("action") == "ethdailyprice" {
                    serde_json::json!({"UTCDate": day, "unixTimeStamp": d.to_string(), "value": "1650.25"})
                } else {
                    serde_json::json!({"UTCDate": day, "unixTimeStamp": d.to_string(), "avgGasPrice_Wei": "22690681121"})
                }
            })
            .collect();
        ok(serde_json::json!({"status": "1", "message": "OK", "result": days}).to_string())
    }));
    let api = format!("{}/api", server.url);
    let run = common::yieldlab(
        &[
            "data",
            "fetch",
            "etherscan",
            "--key",
            "KEY",
            "--base-url",
            &api,
            "--start",
            "2022-01-01",
            "--end",
            "2023-06-30",
            "--out",
            out.to_str().unwrap(),
            "--rate",
            "200",
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        server.log.lock().unwrap().len(),
        4,
        "a year per request, for the gas price and the ETH price"
    );
    assert!(run.stdout.contains("wrote 1092 rows"), "{}", run.stdout);
    let ds = yieldlab::data::Dataset::load(&out.join("manifest.toml"), None).unwrap();
    let g = ds
        .get(yieldlab::market::SeriesKind::Gas, "ethereum")
        .unwrap();
    assert!((g.fields[&yieldlab::market::Field::GasPriceGwei][0] - 22.690681121).abs() < 1e-9);
    let eth = ds.get(yieldlab::market::SeriesKind::Price, "ETH").unwrap();
    assert_eq!(eth.fields[&yieldlab::market::Field::PriceUsd][0], 1650.25);
    let check = common::yieldlab(
        &["data", "check", out.join("manifest.toml").to_str().unwrap()],
        &common::repo(),
    );
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    // A refused key: exit 2, the message names the status, and the key is not printed.
    let run = common::yieldlab(
        &[
            "data",
            "fetch",
            "etherscan",
            "--key",
            "WRONG",
            "--base-url",
            &api,
            "--start",
            "2022-01-01",
            "--end",
            "2022-01-31",
            "--out",
            dir.path().join("x").to_str().unwrap(),
            "--rate",
            "200",
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("Invalid API Key") && !run.stderr.contains("WRONG"),
        "{}",
        run.stderr
    );
}
