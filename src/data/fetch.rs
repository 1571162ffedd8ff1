//! `yieldlab data fetch`: data from where researchers get it, written as a CSV file and
//! a ready manifest.
//!
//! - **DefiLlama yields**: `/pools` (each pool's chain, project and symbol) and
//!   `/chart/{pool}` (daily `tvlUsd`, `apy`, `apyBase`, `apyReward`).
//! - **A Uniswap v3 subgraph** given by URL (+ API key): `pool(id)` for the tokens and fee
//!   tier, then `poolDayDatas` or `poolHourDatas`, paged by time.
//! - **An Etherscan-style gas series**: `module=stats&action=dailyavggasprice`.
//!
//! Every response is kept under `<out>/.yieldlab-fetch/` as it arrives, so a fetch that
//! stopped (a network failure, Ctrl-C) is started again with the same command and asks
//! only for what it does not have. Requests are spaced to at most `rate` per second;
//! a 429, a 5xx or a failed connection is retried `retries` times, waiting as
//! `Retry-After` says or twice as long each time. The CSV and manifest are written
//! together through the output folder's staging (`io::OutDir`), or not at all.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::market::PoolKind;
use crate::units::{format_ts, Timestamp};

/// What a fetch failed on.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The source answered something we cannot use (or refused the request): exit 2.
    #[error("{0}")]
    Source(String),
    /// The network or the local disk failed: exit 1.
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Out(#[from] crate::io::OutError),
}

/// How requests are made.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub out: PathBuf,
    /// Most requests per second.
    pub rate: f64,
    /// Retries of a request that got a 429, a 5xx or no answer.
    pub retries: u32,
    pub timeout: Duration,
    /// Write into a folder holding files yieldlab did not write.
    pub force: bool,
}

/// Where the responses of a fetch are kept while it runs (resume).
pub const FETCH_CACHE: &str = ".yieldlab-fetch";

/// The largest response read.
const MAX_RESPONSE: u64 = 256 << 20;

/// An HTTP client that spaces, retries and keeps its responses.
pub struct Client {
    agent: ureq::Agent,
    opts: FetchOptions,
    last: Option<Instant>,
    /// Requests actually sent (not answered from the kept responses).
    pub sent: usize,
    /// Responses read back from an earlier, interrupted fetch.
    pub resumed: usize,
    /// Retries made.
    pub retried: usize,
}

/// A request: GET of a URL, or POST of a JSON body.
pub enum Request<'a> {
    Get(&'a str),
    Post(&'a str, &'a Value),
}

impl Client {
    pub fn new(opts: FetchOptions) -> Result<Client, FetchError> {
        if !(opts.rate.is_finite() && opts.rate > 0.0 && opts.rate <= 1000.0) {
            return Err(FetchError::Source(format!(
                "--rate {}: requests per second must be in (0, 1000]",
                opts.rate
            )));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(opts.timeout))
            .user_agent(concat!("yieldlab/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent: config.into(),
            opts,
            last: None,
            sent: 0,
            resumed: 0,
            retried: 0,
        })
    }

    fn cache_path(&self, key: &str) -> PathBuf {
        self.opts
            .out
            .join(FETCH_CACHE)
            .join(format!("{}.json", crate::io::safe_name(key)))
    }

    /// The JSON answer to `req`, from the kept responses when an earlier fetch got it.
    /// `key` names the request among the fetch's (the file it is kept as); `headers`
    /// are sent with it (an API key).
    pub fn json(
        &mut self,
        key: &str,
        req: &Request,
        headers: &[(&str, &str)],
    ) -> Result<Value, FetchError> {
        let path = self.cache_path(key);
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                self.resumed += 1;
                return Ok(v);
            }
        }
        let url = match req {
            Request::Get(u) | Request::Post(u, _) => *u,
        };
        let shown = redact(url);
        let mut attempt = 0u32;
        loop {
            self.pace();
            self.sent += 1;
            let (status, wait, body) = self.send(req, headers);
            let retryable = match status {
                None => true,
                Some(s) => s == 429 || s >= 500,
            };
            if retryable && attempt < self.opts.retries {
                attempt += 1;
                self.retried += 1;
                let backoff =
                    Duration::from_secs_f64((2f64.powi(attempt as i32) / self.opts.rate).min(60.0));
                std::thread::sleep(wait.unwrap_or(backoff));
                continue;
            }
            let body = match (status, body) {
                (Some(200..=299), Ok(b)) => b,
                (Some(s), b) => {
                    let snippet: String = b.unwrap_or_default().chars().take(300).collect();
                    let hint = match s {
                        401 | 403 => "; check the API key (--key)",
                        404 => "; check the URL and the pool id",
                        429 => "; the source's rate limit: lower --rate, or start the same command again later (it resumes)",
                        _ => "",
                    };
                    let kind = if retryable { FetchError::Io } else { FetchError::Source };
                    return Err(kind(format!(
                        "{shown}: HTTP {s} after {} attempt(s){hint}: {snippet}",
                        attempt + 1
                    )));
                }
                (None, Err(e)) | (None, Ok(e)) => {
                    return Err(FetchError::Io(format!(
                        "{shown}: no answer after {} attempt(s): {e}; start the same command again to resume",
                        attempt + 1
                    )))
                }
            };
            let v: Value = serde_json::from_str(&body).map_err(|e| {
                FetchError::Source(format!(
                    "{shown}: the answer is not JSON ({e}): {}",
                    body.chars().take(200).collect::<String>()
                ))
            })?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| FetchError::Io(format!("{}: {e}", parent.display())))?;
            }
            crate::io::write_atomic(&path, body.as_bytes())
                .map_err(|e| FetchError::Io(format!("{}: {e}", path.display())))?;
            return Ok(v);
        }
    }

    /// Sends `req` once: the status (none when nothing answered), the Retry-After the
    /// answer asked for, and its body (at most `MAX_RESPONSE` bytes) or why not.
    fn send(
        &self,
        req: &Request,
        headers: &[(&str, &str)],
    ) -> (Option<u16>, Option<Duration>, Result<String, String>) {
        let result = match req {
            Request::Get(u) => {
                let mut r = self.agent.get(*u);
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                r.call()
            }
            Request::Post(u, body) => {
                let mut r = self
                    .agent
                    .post(*u)
                    .header("content-type", "application/json");
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                r.send(body.to_string())
            }
        };
        match result {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| Duration::from_secs_f64(s.min(600.0)));
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(MAX_RESPONSE)
                    .read_to_string()
                    .map_err(|e| format!("reading the answer: {e}"));
                (Some(status), wait, body)
            }
            Err(e) => (None, None, Err(e.to_string())),
        }
    }

    /// Waits until the next request keeps to the rate.
    fn pace(&mut self) {
        let gap = Duration::from_secs_f64(1.0 / self.opts.rate);
        if let Some(t) = self.last {
            let since = t.elapsed();
            if since < gap {
                std::thread::sleep(gap - since);
            }
        }
        self.last = Some(Instant::now());
    }
}

/// A URL with its query's key-like values hidden (`apikey=…`).
fn redact(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.to_ascii_lowercase().contains("key") => format!("{k}=…"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// A fetched dataset: its CSV and manifest, and what the summary line says.
pub struct Fetched {
    pub files: Vec<(String, String)>,
    pub rows: usize,
    pub series: usize,
}

/// Writes a fetched dataset into `out` (all files or none), then drops the kept
/// responses: the fetch is complete.
pub fn write(f: &Fetched, opts: &FetchOptions) -> Result<(), FetchError> {
    let names: Vec<String> = f.files.iter().map(|(n, _)| n.clone()).collect();
    let claim = crate::io::Claim {
        produces: names.clone(),
        replace: true,
        foreign_ok: opts.force,
        force_flag: "--force",
        ..Default::default()
    };
    let target = crate::io::OutDir::claim(&opts.out, &claim)?;
    for (name, text) in &f.files {
        crate::io::write_atomic(&target.staging().join(name), text.as_bytes()).map_err(
            |source| crate::io::OutError::Io {
                path: opts.out.join(name),
                source,
            },
        )?;
    }
    target.commit(|n| names.iter().any(|x| x == n))?;
    let _ = std::fs::remove_dir_all(opts.out.join(FETCH_CACHE));
    Ok(())
}

fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Result<String, FetchError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| FetchError::Io(e.to_string());
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| FetchError::Io(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| FetchError::Io(e.to_string()))
}

/// A JSON value as a cell: strings as they are, numbers as written, null empty.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

// ---------------------------------------------------------------- DefiLlama

/// The pool kind a DefiLlama project's pools are (for their IL), where its name says
/// it: Curve is StableSwap, a v3 DEX concentrated, a v2 DEX constant product. Anything
/// else (lending markets, vaults, other DEXes) needs `--kind`.
fn llama_kind(project: &str) -> Option<PoolKind> {
    let p = project.to_ascii_lowercase();
    let dex = p.starts_with("uniswap") || p.contains("swap");
    if p.starts_with("curve") {
        Some(PoolKind::Stableswap)
    } else if dex && p.contains("v3") {
        Some(PoolKind::Concentrated)
    } else if dex && (p.contains("v2") || p == "sushiswap" || p.ends_with("-amm")) {
        Some(PoolKind::ConstantProduct)
    } else {
        None
    }
}

/// DefiLlama yields of `pools` (their uuids): one long CSV (`timestamp, pool, chain,
/// project, symbol, token0, token1, tvl_usd, apy, apy_base, apy_reward`) and a manifest
/// reading it as pool series `llama_<uuid>`, of `kind` or of the kind their project
/// names (a run of pools of different kinds must state it).
pub fn defillama(
    client: &mut Client,
    base: &str,
    pools: &[String],
    kind: Option<PoolKind>,
) -> Result<Fetched, FetchError> {
    if pools.is_empty() {
        return Err(FetchError::Source(
            "give at least one --pool (DefiLlama's pool uuid, from https://yields.llama.fi/pools)"
                .into(),
        ));
    }
    let base = base.trim_end_matches('/');
    let list = client.json("pools", &Request::Get(&format!("{base}/pools")), &[])?;
    let data = list.get("data").and_then(Value::as_array).ok_or_else(|| {
        FetchError::Source(format!("{base}/pools: no `data` array in the answer"))
    })?;
    let mut rows = Vec::new();
    let mut kinds = Vec::new();
    let mut notes = Vec::new();
    for id in pools {
        kinds.push(llama_pool(
            client, base, data, id, kind, &mut rows, &mut notes,
        )?);
    }
    let first = kinds[0];
    if kinds.iter().any(|k| *k != first) {
        return Err(FetchError::Source(
            "the pools are of different kinds; fetch each kind into its own folder, or give --kind"
                .into(),
        ));
    }
    let csv = csv_bytes(
        &[
            "timestamp",
            "pool",
            "chain",
            "project",
            "symbol",
            "token0",
            "token1",
            "tvl_usd",
            "apy",
            "apy_base",
            "apy_reward",
        ],
        &rows,
    )?;
    let mut manifest = format!(
        "# Fetched by `yieldlab data fetch defillama` from {base}: /pools and /chart/<pool>.\n# APYs are DefiLlama's, in percent, compounded.\n"
    );
    for n in &notes {
        manifest.push_str(&format!("# assumed: {n}\n"));
    }
    manifest.push_str(&format!(
        "[dataset]\nname = \"defillama\"\n\n[[files]]\npath = \"defillama_yields.csv\"\nkind = \"pool\"\nid_column = \"pool\"\nid_prefix = \"llama_\"\ntimestamp = \"timestamp\"\ncarry_limit = \"3d\"\npool_meta = {{ kind = {}, chain_column = \"chain\", token_columns = [\"token0\", \"token1\"] }}\n[files.columns]\ntvl_usd = \"tvl_usd\"\napy_base = {{ column = \"apy_base\", unit = \"percent\" }}\napy_reward = {{ column = \"apy_reward\", unit = \"percent\", optional = true }}\n",
        quoted(&first.to_string())
    ));
    Ok(Fetched {
        rows: rows.len(),
        series: pools.len(),
        files: vec![
            ("defillama_yields.csv".into(), csv),
            ("manifest.toml".into(), manifest),
        ],
    })
}

/// One DefiLlama pool: its metadata from `/pools` (`data`), its kind (stated, or from
/// its project), and its `/chart` points appended to `rows`.
#[allow(clippy::too_many_arguments)]
fn llama_pool(
    client: &mut Client,
    base: &str,
    data: &[Value],
    id: &String,
    kind: Option<PoolKind>,
    rows: &mut Vec<Vec<String>>,
    notes: &mut Vec<String>,
) -> Result<PoolKind, FetchError> {
    let meta = data
        .iter()
        .find(|p| p.get("pool").and_then(Value::as_str) == Some(id.as_str()))
        .ok_or_else(|| {
            FetchError::Source(format!(
                "pool '{id}' is not in {base}/pools ({} pools listed); check the uuid",
                data.len()
            ))
        })?;
    let text = |k: &str| cell(meta.get(k));
    let (chain, project, symbol) = (
        text("chain").to_ascii_lowercase(),
        text("project"),
        text("symbol"),
    );
    let tokens: Vec<&str> = symbol.split('-').filter(|t| !t.is_empty()).collect();
    if tokens.len() != 2 {
        return Err(FetchError::Source(format!(
            "pool '{id}' ({project} {symbol}): its symbol does not name two tokens; yieldlab reads two-token pools from DefiLlama"
        )));
    }
    let k = match (kind, llama_kind(&project)) {
        (Some(k), _) => k,
        (None, Some(k)) => {
            notes.push(format!("{id}: kind {k} from its project '{project}'"));
            k
        }
        (None, None) => {
            return Err(FetchError::Source(format!(
                "pool '{id}': project '{project}' does not say the pool's kind; give --kind constant_product, concentrated or stableswap"
            )))
        }
    };
    let chart = client.json(
        &format!("chart-{id}"),
        &Request::Get(&format!("{base}/chart/{id}")),
        &[],
    )?;
    let points = chart.get("data").and_then(Value::as_array).ok_or_else(|| {
        FetchError::Source(format!("{base}/chart/{id}: no `data` array in the answer"))
    })?;
    for p in points {
        let ts = cell(p.get("timestamp"));
        if ts.is_empty() {
            return Err(FetchError::Source(format!(
                "{base}/chart/{id}: a point without a timestamp"
            )));
        }
        rows.push(vec![
            ts,
            id.clone(),
            chain.clone(),
            project.clone(),
            symbol.clone(),
            tokens[0].to_string(),
            tokens[1].to_string(),
            cell(p.get("tvlUsd")),
            cell(p.get("apy")),
            cell(p.get("apyBase")),
            cell(p.get("apyReward")),
        ]);
    }
    Ok(k)
}

// ---------------------------------------------------------------- subgraph

/// What to ask a Uniswap v3 subgraph for.
pub struct SubgraphRequest<'a> {
    pub url: &'a str,
    pub key: Option<&'a str>,
    /// The pool's address.
    pub pool: &'a str,
    pub hourly: bool,
    pub start: Timestamp,
    pub end: Timestamp,
    pub chain: &'a str,
    /// The series id in the manifest (default `univ3_<token0>_<token1>_<fee>`).
    pub id: Option<&'a str>,
}

/// The fields of a pool day or hour the manifest reads.
const BAR_FIELDS: [&str; 11] = [
    "token0Price",
    "token1Price",
    "volumeUSD",
    "feesUSD",
    "tvlUSD",
    "liquidity",
    "sqrtPrice",
    "tick",
    "feeGrowthGlobal0X128",
    "feeGrowthGlobal1X128",
    "txCount",
];

fn graphql(
    client: &mut Client,
    r: &SubgraphRequest,
    key: &str,
    query: String,
) -> Result<Value, FetchError> {
    let body = serde_json::json!({ "query": query });
    let bearer = r.key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|b| vec![("authorization", b)])
        .unwrap_or_default();
    let v = client.json(key, &Request::Post(r.url, &body), &headers)?;
    if let Some(errors) = v.get("errors") {
        // A failed query is not kept: starting again asks again.
        let _ = std::fs::remove_file(client.cache_path(key));
        return Err(FetchError::Source(format!(
            "{}: the subgraph refused the query: {}",
            redact(r.url),
            errors.to_string().chars().take(400).collect::<String>()
        )));
    }
    v.get("data")
        .cloned()
        .ok_or_else(|| FetchError::Source(format!("{}: no `data` in the answer", redact(r.url))))
}

/// Every item of `entity` whose `field` is `id`, from `r.start` to `r.end`, in pages of
/// 1000 ordered by `time_field` (each page asks for the times after the last one seen):
/// (time, item).
fn pages(
    client: &mut Client,
    r: &SubgraphRequest,
    entity: &str,
    time_field: &str,
    field: &str,
    id: &str,
    fields: &[&str],
) -> Result<Vec<(Timestamp, Value)>, FetchError> {
    let mut out = Vec::new();
    let mut after = r.start - 1;
    for _ in 0..100_000 {
        let q = format!(
            "{{ {entity}(first: 1000, orderBy: {time_field}, orderDirection: asc, where: {{ {field}: \"{id}\", {time_field}_gt: {after}, {time_field}_lte: {} }}) {{ {time_field} {} }} }}",
            r.end,
            fields.join(" ")
        );
        let data = graphql(client, r, &format!("{entity}-{id}-{}-{after}", r.end), q)?;
        let items = data.get(entity).and_then(Value::as_array).ok_or_else(|| {
            FetchError::Source(format!(
                "{}: no `{entity}` array in the answer",
                redact(r.url)
            ))
        })?;
        let mut last = after;
        for it in items {
            let t: Timestamp = cell(it.get(time_field)).parse().map_err(|_| {
                FetchError::Source(format!(
                    "{entity}: `{time_field}` '{}' is not a unix time",
                    cell(it.get(time_field))
                ))
            })?;
            if t <= last {
                return Err(FetchError::Source(format!(
                    "{entity}: times out of order at {} (the subgraph ignored orderBy)",
                    format_ts(t)
                )));
            }
            last = t;
            out.push((t, it.clone()));
        }
        if items.len() < 1000 {
            break;
        }
        after = last;
    }
    Ok(out)
}

/// The request's pool address, lower-case, after checking it and the dates.
fn subgraph_pool_address(r: &SubgraphRequest) -> Result<String, FetchError> {
    let pool = r.pool.to_ascii_lowercase();
    if !(pool.len() == 42
        && pool.starts_with("0x")
        && pool[2..].chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(FetchError::Source(format!(
            "--pool '{}': a pool address is 0x and 40 hex digits",
            r.pool
        )));
    }
    if r.end <= r.start {
        return Err(FetchError::Source("--end must be after --start".into()));
    }
    Ok(pool)
}

/// A Uniswap v3 pool's days (or hours) from a subgraph: its tokens and fee tier from
/// `pool(id)`, then `poolDayDatas`/`poolHourDatas` in pages of 1000 ordered by time, from
/// `start` to `end`. Writes the CSV and a manifest with the pool's `[[pools]]` entry.
pub fn subgraph(client: &mut Client, r: &SubgraphRequest) -> Result<Fetched, FetchError> {
    let pool = subgraph_pool_address(r)?;
    let PoolInfo {
        t0,
        t1,
        d0,
        d1,
        a0,
        a1,
        fee_tier,
    } = subgraph_pool(client, r, &pool)?;
    let (time_field, bars, tokens) = if r.hourly {
        ("periodStartUnix", "poolHourDatas", "tokenHourDatas")
    } else {
        ("date", "poolDayDatas", "tokenDayDatas")
    };
    let entity = bars;
    let (rows, mut prices) = subgraph_rows(
        client,
        r,
        (time_field, bars, tokens),
        &pool,
        [(&a0, &t0), (&a1, &t1)],
    )?;
    if rows.is_empty() {
        return Err(FetchError::Source(format!(
            "{}: no {entity} for pool {pool} from {} to {}",
            redact(r.url),
            format_ts(r.start),
            format_ts(r.end)
        )));
    }
    let id = r.id.map(str::to_string).unwrap_or_else(|| {
        format!(
            "univ3_{}_{}_{}",
            t0.to_ascii_lowercase(),
            t1.to_ascii_lowercase(),
            fee_tier
        )
    });
    let mut header = vec!["timestamp"];
    header.extend(BAR_FIELDS);
    let csv = csv_bytes(&header, &rows)?;
    let every = if r.hourly { "hourly" } else { "daily" };
    let file = format!("{}_{every}.csv", crate::io::safe_name(&id));
    // A token the subgraph has not priced yet says 0: those rows are left out (and said).
    let priced = prices.len();
    prices.retain(|p| p[2].parse::<f64>().is_ok_and(|x| x.is_finite() && x > 0.0));
    let unpriced = priced - prices.len();
    let price_file = format!("{}_token_prices_{every}.csv", crate::io::safe_name(&id));
    let price_csv = csv_bytes(&["timestamp", "asset", "price_usd"], &prices)?;
    let info = (
        pool.as_str(),
        id.as_str(),
        &t0,
        &t1,
        d0.as_str(),
        d1.as_str(),
    );
    let manifest = subgraph_manifest(
        r,
        info,
        fee_tier,
        (file.as_str(), price_file.as_str()),
        unpriced,
        entity,
    );
    Ok(Fetched {
        rows: rows.len() + prices.len(),
        series: 3,
        files: vec![
            (file, csv),
            (price_file, price_csv),
            ("manifest.toml".into(), manifest),
        ],
    })
}

/// A CSV table's rows of cells.
type Rows = Vec<Vec<String>>;

/// The pool's bars and its two tokens' USD prices (so that the dataset values the pool
/// and its gas), page by page.
fn subgraph_rows(
    client: &mut Client,
    r: &SubgraphRequest,
    (time_field, bars, tokens): (&str, &str, &str),
    pool: &str,
    coins: [(&String, &String); 2],
) -> Result<(Rows, Rows), FetchError> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (t, it) in pages(client, r, bars, time_field, "pool", pool, &BAR_FIELDS)? {
        let mut row = vec![t.to_string()];
        row.extend(BAR_FIELDS.iter().map(|f| cell(it.get(*f))));
        rows.push(row);
    }
    let mut prices: Vec<Vec<String>> = Vec::new();
    for (addr, symbol) in coins {
        for (t, it) in pages(client, r, tokens, time_field, "token", addr, &["priceUSD"])? {
            prices.push(vec![
                t.to_string(),
                symbol.clone(),
                cell(it.get("priceUSD")),
            ]);
        }
    }
    Ok((rows, prices))
}

/// A subgraph pool's tokens (symbols, decimals, addresses) and fee tier.
struct PoolInfo {
    t0: String,
    t1: String,
    d0: String,
    d1: String,
    a0: String,
    a1: String,
    fee_tier: u32,
}

/// `pool(id)` of the subgraph: the pool's tokens and fee tier.
fn subgraph_pool(
    client: &mut Client,
    r: &SubgraphRequest,
    pool: &str,
) -> Result<PoolInfo, FetchError> {
    let meta = graphql(
        client,
        r,
        "pool",
        format!("{{ pool(id: \"{pool}\") {{ feeTier token0 {{ id symbol decimals }} token1 {{ id symbol decimals }} }} }}"),
    )?;
    let p = meta.get("pool").filter(|p| !p.is_null()).ok_or_else(|| {
        FetchError::Source(format!(
            "{}: the subgraph has no pool {pool}",
            redact(r.url)
        ))
    })?;
    let text = |v: Option<&Value>| cell(v);
    let t0 = text(p.pointer("/token0/symbol"));
    let t1 = text(p.pointer("/token1/symbol"));
    let d0 = text(p.pointer("/token0/decimals"));
    let d1 = text(p.pointer("/token1/decimals"));
    let a0 = text(p.pointer("/token0/id")).to_ascii_lowercase();
    let a1 = text(p.pointer("/token1/id")).to_ascii_lowercase();
    let fee_tier: u32 = text(p.get("feeTier")).parse().map_err(|_| {
        FetchError::Source(format!(
            "pool {pool}: feeTier '{}' is not a whole number",
            text(p.get("feeTier"))
        ))
    })?;
    Ok(PoolInfo {
        t0,
        t1,
        d0,
        d1,
        a0,
        a1,
        fee_tier,
    })
}

/// The fetched pool's manifest: its `[[pools]]` entry, the two files, the chain's
/// native asset where a token is WETH, and comments saying what was assumed or left out.
fn subgraph_manifest(
    r: &SubgraphRequest,
    (pool, id, t0, t1, d0, d1): (&str, &str, &String, &String, &str, &str),
    fee_tier: u32,
    (file, price_file): (&str, &str),
    unpriced: usize,
    entity: &str,
) -> String {
    let fee = fee_tier as f64 / 1e6;
    let spacing = tick_spacing(fee_tier);
    let native = [t0, t1]
        .into_iter()
        .find(|t| t.as_str() == "WETH" || t.as_str() == "ETH")
        .cloned();
    let mut manifest = format!(
        "# Fetched by `yieldlab data fetch subgraph` from {} ({entity} of {pool}).\n# A bar's figures are the subgraph's at the bar's close: values_at = \"bar_close\".\n",
        redact(r.url)
    );
    if spacing.is_none() {
        manifest.push_str(&format!(
            "# fee tier {fee_tier} has no standard tick spacing: tick_spacing left out\n"
        ));
    }
    if unpriced > 0 {
        manifest.push_str(&format!(
            "# {unpriced} token price rows with priceUSD 0 (not yet priced by the subgraph) left out\n"
        ));
    }
    match &native {
        Some(n) => manifest.push_str(&format!(
            "# assumed: {} gas is paid in ETH, priced as {n} (the subgraph's priceUSD); no gas price series: runs use the chain preset's and say so\n",
            r.chain
        )),
        None => manifest.push_str(
            "# no [[chains]] entry: neither token is WETH, so the native token has no price here; add one to price gas\n",
        ),
    }
    let chains = native
        .map(|n| {
            format!(
                "[[chains]]\nname = {}\nnative_asset = {}\n\n",
                quoted(r.chain),
                quoted(&n)
            )
        })
        .unwrap_or_default();
    manifest.push_str(&format!(
        "[dataset]\nname = {}\n\n{chains}[[pools]]\nid = {}\nkind = \"concentrated\"\nchain = {}\ntokens = [{}, {}]\ndecimals = [{d0}, {d1}]\nfee = {fee}\n{}address = {}\n\n[[files]]\npath = {}\nkind = \"pool\"\nid = {}\ntimestamp = {{ column = \"timestamp\", unit = \"unix_s\" }}\nvalues_at = \"bar_close\"\nbar = \"{}\"\n[files.columns]\nprice = \"token1Price\"\nvolume_usd = \"volumeUSD\"\nfees_usd = \"feesUSD\"\ntvl_usd = \"tvlUSD\"\nliquidity = {{ column = \"liquidity\", optional = true }}\ntick = {{ column = \"tick\", optional = true }}\nfee_growth_global0 = {{ column = \"feeGrowthGlobal0X128\", unit = \"x128\", optional = true }}\nfee_growth_global1 = {{ column = \"feeGrowthGlobal1X128\", unit = \"x128\", optional = true }}\n",
        quoted(id),
        quoted(id),
        quoted(r.chain),
        quoted(t0),
        quoted(t1),
        spacing.map(|s| format!("tick_spacing = {s}\n")).unwrap_or_default(),
        quoted(pool),
        quoted(file),
        quoted(id),
        if r.hourly { "1h" } else { "1d" }
    ));
    manifest.push_str(&format!(
        "\n[[files]]\npath = {}\nkind = \"price\"\nid_column = \"asset\"\ntimestamp = {{ column = \"timestamp\", unit = \"unix_s\" }}\nvalues_at = \"bar_close\"\nbar = \"{}\"\n[files.columns]\nprice_usd = \"price_usd\"\n",
        quoted(price_file),
        if r.hourly { "1h" } else { "1d" }
    ));
    manifest
}

/// Uniswap v3's tick spacing of a fee tier (in pips), where the tier is a standard one.
fn tick_spacing(fee_tier: u32) -> Option<i32> {
    match fee_tier {
        100 => Some(1),
        500 => Some(10),
        3000 => Some(60),
        10000 => Some(200),
        _ => None,
    }
}

// ---------------------------------------------------------------- Etherscan

/// An Etherscan-style daily average gas price series (`module=stats&action=
/// dailyavggasprice`), `start` to `end` (dates), for `chain`: the CSV `timestamp,
/// avg_gas_price_wei, gas_price_gwei` and a manifest reading it as the chain's gas.
pub fn etherscan(
    client: &mut Client,
    base: &str,
    key: &str,
    chain: &str,
    start: Timestamp,
    end: Timestamp,
) -> Result<Fetched, FetchError> {
    if end < start {
        return Err(FetchError::Source(
            "--end must not be before --start".into(),
        ));
    }
    let mut gas: Vec<Vec<String>> = Vec::new();
    let mut eth: Vec<Vec<String>> = Vec::new();
    // A year per request (the API's own limit on one answer), for the gas price and for
    // the native token's USD price (which prices the gas).
    let mut from = start;
    while from <= end {
        let to = (from + 365 * 86_400 - 86_400).min(end);
        for (action, rows) in [("dailyavggasprice", &mut gas), ("ethdailyprice", &mut eth)] {
            etherscan_page(client, (base, key, chain), action, (from, to), rows)?;
        }
        from = to + 86_400;
    }
    let gas_csv = csv_bytes(&["timestamp", "avg_gas_price_wei", "gas_price_gwei"], &gas)?;
    let eth_csv = csv_bytes(&["timestamp", "price_usd"], &eth)?;
    let name = crate::io::safe_name(chain);
    let (gas_file, eth_file) = (
        format!("gas_{name}_daily.csv"),
        format!("eth_usd_{name}_daily.csv"),
    );
    let manifest = format!(
        "# Fetched by `yieldlab data fetch etherscan` from {} (daily average gas price, daily ETH price).\n[dataset]\nname = \"gas\"\n\n[[chains]]\nname = {}\nnative_asset = \"ETH\"\n\n[[files]]\npath = {}\nkind = \"gas\"\nid = {}\ntimestamp = {{ column = \"timestamp\", unit = \"unix_s\" }}\n[files.columns]\ngas_price_gwei = \"gas_price_gwei\"\n\n[[files]]\npath = {}\nkind = \"price\"\nid = \"ETH\"\ntimestamp = {{ column = \"timestamp\", unit = \"unix_s\" }}\n[files.columns]\nprice_usd = \"price_usd\"\n",
        redact(base),
        quoted(chain),
        quoted(&gas_file),
        quoted(chain),
        quoted(&eth_file)
    );
    Ok(Fetched {
        rows: gas.len() + eth.len(),
        series: 2,
        files: vec![
            (gas_file, gas_csv),
            (eth_file, eth_csv),
            ("manifest.toml".into(), manifest),
        ],
    })
}

/// One request of an Etherscan daily series (`action`: `dailyavggasprice` or
/// `ethdailyprice`), `from` to `to`, its rows appended to `rows`.
fn etherscan_page(
    client: &mut Client,
    (base, key, chain): (&str, &str, &str),
    action: &str,
    (from, to): (Timestamp, Timestamp),
    rows: &mut Vec<Vec<String>>,
) -> Result<(), FetchError> {
    let date = |t: Timestamp| format_ts(t).chars().take(10).collect::<String>();
    let url = format!(
        "{}?module=stats&action={action}&startdate={}&enddate={}&sort=asc&apikey={key}",
        base.trim_end_matches('?'),
        date(from),
        date(to)
    );
    let k = format!("{action}-{chain}-{}-{}", date(from), date(to));
    let v = client.json(&k, &Request::Get(&url), &[])?;
    if cell(v.get("status")) != "1" {
        let _ = std::fs::remove_file(client.cache_path(&k));
        return Err(FetchError::Source(format!(
            "{}: status {} ({}): {}; {action} needs an API key that allows it (--key, or ETHERSCAN_API_KEY)",
            redact(&url),
            cell(v.get("status")),
            cell(v.get("message")),
            cell(v.get("result")).chars().take(200).collect::<String>()
        )));
    }
    let items = v
        .get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| FetchError::Source(format!("{}: `result` is not a list", redact(&url))))?;
    let field = if action == "ethdailyprice" {
        "value"
    } else {
        "avgGasPrice_Wei"
    };
    for it in items {
        let ts = cell(it.get("unixTimeStamp"));
        let x = cell(it.get(field));
        let n: f64 = x.parse().map_err(|_| {
            FetchError::Source(format!("{}: {field} '{x}' is not a number", redact(&url)))
        })?;
        rows.push(if action == "ethdailyprice" {
            vec![ts, x]
        } else {
            vec![ts, x.clone(), format!("{:.9}", n / 1e9)]
        });
    }
    Ok(())
}

/// The summary line of a finished fetch.
pub fn summary(f: &Fetched, c: &Client, out: &Path) -> String {
    format!(
        "wrote {} rows of {} series to {} ({}; {} requests sent, {} resumed from an earlier fetch, {} retries)",
        f.rows,
        f.series,
        out.display(),
        f.files.iter().map(|x| x.0.as_str()).collect::<Vec<_>>().join(", "),
        c.sent,
        c.resumed,
        c.retried
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hidden_in_messages() {
        assert_eq!(
            redact("https://api.etherscan.io/api?module=stats&apikey=SECRET&x=1"),
            "https://api.etherscan.io/api?module=stats&apikey=…&x=1"
        );
        assert_eq!(redact("http://h/p"), "http://h/p");
    }

    #[test]
    fn project_names_give_pool_kinds() {
        assert_eq!(llama_kind("uniswap-v3"), Some(PoolKind::Concentrated));
        assert_eq!(llama_kind("curve-dex"), Some(PoolKind::Stableswap));
        assert_eq!(llama_kind("sushiswap"), Some(PoolKind::ConstantProduct));
        assert_eq!(
            llama_kind("pancakeswap-amm-v3"),
            Some(PoolKind::Concentrated)
        );
        assert_eq!(llama_kind("aave-v3"), None);
        assert_eq!(llama_kind("compound-v3"), None);
    }
}
