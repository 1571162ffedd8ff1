//! Bad input, table-driven: every importer (CSV, Parquet, the peer minute format), the
//! manifest, strategy files, command-line flags and `quote`. Each case runs the binary
//! and expects either exit code 2 with a message naming the file, line, column or field
//! and what was expected, or — where the input is acceptable — success with a documented
//! behaviour (docs/manifest.md, "What the loader accepts"). Any panic (a "panicked"
//! message or exit code 101) fails the case. All cases run, and every failure is listed.

#[macro_use]
mod common;

use std::path::Path;

const MANIFEST: &str = concat!(
    pool_and_prices_manifest!(),
    r#"
[[files]]
path = "gas.csv"
kind = "gas"
id = "ethereum"
timestamp = "timestamp"
columns = { gas_price_gwei = "gwei" }
"#
);

const T0: i64 = 1_640_995_200; // 2022-01-01
const HOURS: i64 = 24 * 20;

fn iso(t: i64) -> String {
    yieldlab::units::format_ts(t)
}

/// Pool rows: (timestamp text, price, volume, tvl) for 20 days of hours.
fn pool_rows() -> Vec<[String; 4]> {
    (0..HOURS)
        .map(|i| {
            [
                (T0 + 3600 * i).to_string(),
                format!("{}", 3000 + i % 50),
                format!("{}", 1000 + i),
                "5000000".to_string(),
            ]
        })
        .collect()
}

fn csv(header: &str, rows: &[[String; 4]], sep: &str) -> String {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(&r.join(sep));
        s.push('\n');
    }
    s
}

fn pool_csv(rows: &[[String; 4]]) -> String {
    csv("timestamp,price,volume_usd,tvl_usd", rows, ",")
}

fn pool_with(edit: impl Fn(&mut Vec<[String; 4]>)) -> String {
    let mut r = pool_rows();
    edit(&mut r);
    pool_csv(&r)
}

fn base_files() -> Vec<(String, String)> {
    let mut prices = String::from("timestamp,asset,price_usd\n");
    for a in ["ETH", "USDC"] {
        for i in 0..HOURS {
            let p = if a == "ETH" { 3000 + i % 50 } else { 1 };
            prices.push_str(&format!("{},{a},{p}\n", T0 + 3600 * i));
        }
    }
    let mut gas = String::from("timestamp,gwei\n");
    for i in 0..HOURS {
        gas.push_str(&format!("{},30\n", T0 + 3600 * i));
    }
    vec![
        ("manifest.toml".into(), MANIFEST.into()),
        ("pool.csv".into(), pool_csv(&pool_rows())),
        ("prices.csv".into(), prices),
        ("gas.csv".into(), gas),
    ]
}

fn strategy(kind_and_params: &str, top: &str) -> String {
    format!("data = \"manifest.toml\"\ncapital_usd = 10000\n{top}\n[strategy]\n{kind_and_params}\n")
}

const LP: &str = "kind = \"lp\"\npool = \"weth_usdc\"";
const AC: &str = "kind = \"autocompound\"\npool = \"weth_usdc\"\nharvest = \"interval\"";

enum Expect {
    /// Exit code 2 and stderr containing each string.
    Fails(&'static [&'static str]),
    /// Exit code 0 and stdout containing each string.
    Works(&'static [&'static str]),
}

struct Case {
    name: &'static str,
    /// Files replacing or adding to the base dataset.
    files: Vec<(&'static str, String)>,
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    expect: Expect,
}

const CHECK: &[&str] = &["data", "check", "manifest.toml"];
const RUN: &[&str] = &["run", "s.toml", "--out", "out", "--progress", "off"];

fn data(name: &'static str, file: &'static str, text: String, expect: Expect) -> Case {
    Case {
        name,
        files: vec![(file, text)],
        args: CHECK,
        stdin: None,
        expect,
    }
}

fn manifest(name: &'static str, from: &str, to: &str, expect: Expect) -> Case {
    assert!(MANIFEST.contains(from), "{name}: {from}");
    data(
        name,
        "manifest.toml",
        MANIFEST.replacen(from, to, 1),
        expect,
    )
}

fn run(name: &'static str, strategy_text: String, expect: Expect) -> Case {
    Case {
        name,
        files: vec![("s.toml", strategy_text)],
        args: RUN,
        stdin: None,
        expect,
    }
}

fn cases() -> Vec<Case> {
    use Expect::{Fails, Works};
    let mut v = vec![
        // --- CSV importer: structure
        data(
            "a valid dataset",
            "pool.csv",
            pool_csv(&pool_rows()),
            Works(&["pool   weth_usdc  480"]),
        ),
        data(
            "truncated file (last row cut short)",
            "pool.csv",
            {
                let s = pool_csv(&pool_rows());
                s[..s.len() - 9].to_string()
            },
            Fails(&[
                "pool.csv, line 481, column 'tvl_usd'",
                "3 of the header's 4 fields",
                "truncated",
            ]),
        ),
        data(
            "empty file",
            "pool.csv",
            String::new(),
            Fails(&["pool.csv: the file is empty"]),
        ),
        data(
            "header only",
            "pool.csv",
            "timestamp,price,volume_usd,tvl_usd\n".into(),
            Fails(&["pool.csv: the file has a header but no data rows"]),
        ),
        data(
            "a row with extra fields",
            "pool.csv",
            pool_csv(&pool_rows()).replacen(",5000000\n", ",5000000,7,7\n", 3),
            Fails(&["pool.csv", "malformed CSV", "line"]),
        ),
        data(
            "wrong delimiter (semicolons)",
            "pool.csv",
            csv("timestamp;price;volume_usd;tvl_usd", &pool_rows(), ";"),
            Fails(&["pool.csv", "delimiter"]),
        ),
        data(
            "binary garbage",
            "pool.csv",
            String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x01, 0x9c, b'\n', 0x80]).into_owned(),
            Fails(&["pool.csv"]),
        ),
        data(
            "byte order mark (Excel export): read",
            "pool.csv",
            format!("\u{feff}{}", pool_csv(&pool_rows())),
            Works(&["weth_usdc  480"]),
        ),
        data(
            "Windows line endings: read",
            "pool.csv",
            pool_csv(&pool_rows()).replace('\n', "\r\n"),
            Works(&["weth_usdc  480"]),
        ),
        data(
            "quoted numbers: read",
            "pool.csv",
            pool_with(|r| r.iter_mut().for_each(|x| x[1] = format!("\"{}\"", x[1]))),
            Works(&["weth_usdc  480"]),
        ),
        data(
            "scientific notation: read",
            "pool.csv",
            pool_with(|r| r.iter_mut().for_each(|x| x[3] = "5e6".into())),
            Works(&["weth_usdc  480"]),
        ),
        data(
            "an unnamed empty trailing column: ignored",
            "pool.csv",
            pool_csv(&pool_rows()).replace('\n', ",\n"),
            Works(&["weth_usdc  480"]),
        ),
        data(
            "thousands separators",
            "pool.csv",
            pool_with(|r| r[5][2] = "\"1,005\"".into()),
            Fails(&[
                "pool.csv, line 7, column 'volume_usd'",
                "thousands separator",
            ]),
        ),
        data(
            "text in a number column",
            "pool.csv",
            pool_with(|r| r[2][1] = "n/a".into()),
            Fails(&["pool.csv, line 4, column 'price'", "'n/a' is not a number"]),
        ),
        data(
            "an empty required value",
            "pool.csv",
            pool_with(|r| r[3][3] = String::new()),
            Fails(&[
                "pool.csv, line 5, column 'tvl_usd'",
                "empty value",
                "optional = true",
            ]),
        ),
        data(
            "a required column entirely empty",
            "pool.csv",
            pool_with(|r| r.iter_mut().for_each(|x| x[2] = String::new())),
            Fails(&["pool.csv, line 2, column 'volume_usd'", "empty value"]),
        ),
        data(
            "a missing column",
            "pool.csv",
            "timestamp,price,volume_usd\n1640995200,1,1\n".into(),
            Fails(&["pool.csv: column 'tvl_usd' not found", "the file's columns are: timestamp, price, volume_usd"]),
        ),
        data(
            "a misspelt column",
            "pool.csv",
            pool_csv(&pool_rows()).replacen("volume_usd", "volume_uds", 1),
            Fails(&["pool.csv", "volume_usd", "did you mean 'volume_uds'"]),
        ),
        // --- timestamps
        data(
            "mixed unix and ISO timestamps: each read on its own",
            "pool.csv",
            pool_with(|r| {
                r.iter_mut()
                    .step_by(2)
                    .for_each(|x| x[0] = iso(x[0].parse().unwrap()))
            }),
            Works(&["weth_usdc  480   2022-01-01T00:00:00Z  2022-01-20T23:00:00Z"]),
        ),
        data(
            "ISO timestamps with a UTC offset: converted to UTC",
            "pool.csv",
            pool_with(|r| {
                r.iter_mut().for_each(|x| {
                    let t: i64 = x[0].parse().unwrap();
                    x[0] = iso(t + 7200).replace('Z', "+02:00");
                })
            }),
            Works(&["weth_usdc  480   2022-01-01T00:00:00Z"]),
        ),
        data(
            "a time zone name",
            "pool.csv",
            pool_with(|r| r[0][0] = "2022-01-01 00:00:00 EST".into()),
            Fails(&["pool.csv, line 2, column 'timestamp'", "ISO-8601"]),
        ),
        data(
            "millisecond timestamps without their unit",
            "pool.csv",
            pool_with(|r| r.iter_mut().for_each(|x| x[0] = format!("{}000", x[0]))),
            Fails(&["line 2, column 'timestamp'", "unit = \"unix_ms\""]),
        ),
        data(
            "a duplicate row",
            "pool.csv",
            pool_with(|r| {
                let d = r[10].clone();
                r.insert(11, d);
            }),
            Fails(&[
                "pool.csv, line 13, column 'timestamp'",
                "duplicate timestamp",
                "line 12",
            ]),
        ),
        data(
            "unsorted rows",
            "pool.csv",
            pool_with(|r| r.swap(20, 21)),
            Fails(&[
                "pool.csv, line 23, column 'timestamp'",
                "go backwards",
                "sort the file",
            ]),
        ),
        // --- values
        data(
            "a NaN price",
            "pool.csv",
            pool_with(|r| r[7][1] = "NaN".into()),
            Fails(&["pool.csv, line 9, column 'price'", "NaN"]),
        ),
        data(
            "an infinite price",
            "pool.csv",
            pool_with(|r| r[7][1] = "inf".into()),
            Fails(&["line 9, column 'price'", "infinite"]),
        ),
        data(
            "a negative price",
            "pool.csv",
            pool_with(|r| r[7][1] = "-3000".into()),
            Fails(&["line 9, column 'price'", "must be > 0"]),
        ),
        data(
            "a zero price",
            "pool.csv",
            pool_with(|r| r[7][1] = "0".into()),
            Fails(&["line 9, column 'price'", "must be > 0"]),
        ),
        data(
            "a negative volume",
            "pool.csv",
            pool_with(|r| r[7][2] = "-1".into()),
            Fails(&["line 9, column 'volume_usd'", ">= 0"]),
        ),
        data(
            "zero TVL with trading volume",
            "pool.csv",
            pool_with(|r| r[9][3] = "0".into()),
            Fails(&[
                "pool.csv, line 11, column 'tvl_usd'",
                "tvl_usd is 0 while volume_usd is 1009",
                "cannot trade",
            ]),
        ),
        data(
            "zero TVL and no volume: accepted (no fees that bar)",
            "pool.csv",
            pool_with(|r| {
                r[9][2] = "0".into();
                r[9][3] = "0".into();
            }),
            Works(&["weth_usdc  480"]),
        ),
        data(
            "a gas price of NaN",
            "gas.csv",
            "timestamp,gwei\n1640995200,NaN\n".into(),
            Fails(&["gas.csv, line 2, column 'gwei'", "NaN"]),
        ),
        // --- manifest
        manifest(
            "manifest: invalid TOML",
            "[dataset]",
            "[dataset",
            Fails(&["manifest.toml: invalid TOML", "line 1"]),
        ),
        manifest(
            "manifest: an unknown key",
            "fee = 0.003",
            "fee = 0.003\nfees = 1",
            Fails(&["manifest.toml", "unknown field `fees`"]),
        ),
        manifest(
            "manifest: a wrong type",
            "fee = 0.003",
            "fee = \"high\"",
            Fails(&[
                "manifest.toml",
                "invalid type: string \"high\", expected f64",
            ]),
        ),
        manifest(
            "manifest: a fee out of range",
            "fee = 0.003",
            "fee = -0.003",
            Fails(&[
                "[[pools]] 'weth_usdc'",
                "`fee` = -0.003 must be a fraction in [0, 1)",
            ]),
        ),
        manifest(
            "manifest: an unknown canonical field",
            "gas_price_gwei = \"gwei\"",
            "gas_price = \"gwei\"",
            Fails(&[
                "[[files]] #3 (gas.csv)",
                "unknown field 'gas_price'",
                "gas_price_gwei",
            ]),
        ),
        manifest(
            "manifest: an unknown unit",
            "columns = { gas_price_gwei = \"gwei\" }",
            "columns = { gas_price_gwei = { column = \"gwei\", unit = \"furlongs\" } }",
            Fails(&["gas.csv", "unit 'furlongs' is not one of"]),
        ),
        manifest(
            "manifest: a file that does not exist",
            "path = \"gas.csv\"",
            "path = \"gass.csv\"",
            Fails(&["gass.csv: file not found", "manifest.toml"]),
        ),
        manifest(
            "manifest: a pool not declared",
            "id = \"weth_usdc\"\ntimestamp",
            "id = \"weth_usdt\"\ntimestamp",
            Fails(&["weth_usdt", "did you mean 'weth_usdc'"]),
        ),
        manifest(
            "manifest: a carry limit shorter than the bar",
            "columns = { gas_price_gwei = \"gwei\" }",
            "columns = { gas_price_gwei = \"gwei\" }\ncarry_limit = \"banana\"",
            Fails(&["carry_limit", "banana"]),
        ),
        // --- Parquet importer
        data(
            "Parquet: a CSV file named as Parquet",
            "manifest.toml",
            MANIFEST.replacen(
                "path = \"gas.csv\"",
                "path = \"gas.csv\"\nformat = \"parquet\"",
                1,
            ),
            Fails(&["gas.csv", "not a readable Parquet file", "format = \"csv\""]),
        ),
        // --- alignment and run ranges
        run(
            "a plain run on the base data works",
            strategy(LP, ""),
            Works(&["wrote 1 run(s)"]),
        ),
        // --- cost domains: a negative cost would earn money
        run(
            "a negative gas price",
            strategy(LP, "[gas]\ngas_price_gwei = -5"),
            Fails(&["s.toml", "gas.gas_price_gwei = -5", "must be a finite number >= 0"]),
        ),
        run(
            "negative gas units",
            strategy(LP, "[gas.units]\ndeposit = -180000"),
            Fails(&["s.toml", "gas.units.deposit = -180000", ">= 0"]),
        ),
        run(
            "a negative reward-swap fee",
            strategy(LP, "[costs]\nreward_swap = { fee = -0.01, depth_usd = 1000000 }"),
            Fails(&["s.toml", "costs.reward_swap.fee = -0.01", "[0, 1)"]),
        ),
        run(
            "a bad unbonding period",
            strategy(LP, "[pools.weth_usdc]\nunbonding = \"soon\""),
            Fails(&["s.toml", "[pools.weth_usdc] unbonding"]),
        ),
        run(
            "a run starting before the data",
            strategy(LP, "start = \"2021-06-01\""),
            Fails(&[
                "s.toml",
                "starts at 2022-01-01T00:00:00Z, after the grid start 2021-06-01T00:00:00Z",
            ]),
        ),
        run(
            "a run ending after the data (a pool that stops)",
            strategy(LP, "end = \"2022-03-01\""),
            Fails(&[
                "s.toml",
                "pool 'weth_usdc' ends at 2022-01-20T23:00:00Z (its last row in pool.csv)",
                "end the run by",
            ]),
        ),
        run(
            "a run entirely outside the data",
            strategy(LP, "start = \"2030-01-01\"\nend = \"2030-02-01\""),
            Fails(&["s.toml", "ends at 2022-01-20T23:00:00Z", "before the run's end 2030-02-01"]),
        ),
        run(
            "end before start",
            strategy(LP, "start = \"2022-01-10\"\nend = \"2022-01-05\""),
            Fails(&["s.toml", "end must be after start"]),
        ),
        // --- strategy files
        run(
            "strategy: an unknown field",
            strategy(&format!("{LP}\nwidht_pct = 5"), ""),
            Fails(&["s.toml", "unknown field `widht_pct`"]),
        ),
        run(
            "strategy: an unknown top-level field",
            strategy(LP, "captial_usd = 5"),
            Fails(&["s.toml", "unknown field `captial_usd`"]),
        ),
        run(
            "strategy: a wrong type",
            strategy(LP, "").replace("capital_usd = 10000", "capital_usd = \"lots\""),
            Fails(&[
                "s.toml",
                "invalid type: string \"lots\", expected f64",
                "capital_usd",
            ]),
        ),
        run(
            "strategy: negative capital",
            strategy(LP, "").replace("capital_usd = 10000", "capital_usd = -5"),
            Fails(&["s.toml", "capital_usd = -5 must be between 0.01 and 1e12"]),
        ),
        run(
            "strategy: zero capital",
            strategy(LP, "").replace("capital_usd = 10000", "capital_usd = 0"),
            Fails(&["s.toml", "capital_usd = 0 must be between 0.01 and 1e12"]),
        ),
        run(
            "strategy: an unknown kind",
            strategy("kind = \"yolo\"\npool = \"weth_usdc\"", ""),
            Fails(&["s.toml", "unknown variant `yolo`"]),
        ),
        run(
            "strategy: an unknown pool",
            strategy("kind = \"lp\"\npool = \"weth_usdt\"", ""),
            Fails(&["s.toml", "weth_usdt", "did you mean 'weth_usdc'"]),
        ),
        run(
            "strategy: a zero interval",
            strategy(&format!("{AC}\ninterval = \"0h\""), ""),
            Fails(&["s.toml", "interval"]),
        ),
        run(
            "strategy: a negative interval",
            strategy(&format!("{AC}\ninterval = \"-1d\""), ""),
            Fails(&["s.toml", "interval: duration '-1d'"]),
        ),
        run(
            "strategy: harvest every second (10 years of it)",
            strategy(&format!("{AC}\ninterval = \"1s\""), ""),
            Fails(&[
                "s.toml",
                "interval = '1s' is shorter than the run's step (1h)",
            ]),
        ),
        run(
            "strategy: a one-second grid",
            strategy(LP, "grid = \"1s\"\nend = \"2022-01-02\"")
                .replace("kind = \"lp\"", "kind = \"hodl\""),
            Works(&["wrote 1 run(s)"]),
        ),
        run(
            "strategy: a dataset that does not exist",
            strategy(LP, "").replace("manifest.toml", "nope.toml"),
            Fails(&["nope.toml: file not found"]),
        ),
        run(
            "strategy: invalid TOML",
            "capital_usd = \n".into(),
            Fails(&["s.toml: invalid strategy file", "line 1"]),
        ),
        run(
            "strategy: a sweep over the run limit",
            strategy(LP, "").replace(
                "[strategy]",
                "[sweep]\ncapital_usd = { from = 1, to = 2000000, step = 1 }\n[strategy]",
            ),
            Fails(&["s.toml", "2000000 values, over the limit of 1000000 runs", "--max-runs"]),
        ),
        run(
            "strategy: a log range of 88,888,888,888,888,884 values (a fuzz finding)",
            strategy(LP, "").replace(
                "[strategy]",
                "[sweep]\ncapital_usd = { from = 1000, to = 1000000, log_steps = 88888888888888884 }\n[strategy]",
            ),
            Fails(&["s.toml", "values, over the limit of 1000000 runs"]),
        ),
        run(
            "strategy: a range width of zero",
            strategy(
                "kind = \"range_lp\"\npool = \"weth_usdc\"\nwidth_pct = 0\nrebalance = \"out_of_range\"",
                "",
            ),
            Fails(&["s.toml", "width_pct = 0 must be between"]),
        ),
    ];
    // A one-second grid over ten years: refused before any memory is taken.
    let mut daily = String::from("timestamp,price,volume_usd,tvl_usd\n");
    let mut daily_prices = String::from("timestamp,asset,price_usd\n");
    let mut daily_gas = String::from("timestamp,gwei\n");
    for d in 0..3700 {
        let t = T0 + 86_400 * d;
        daily.push_str(&format!("{t},3000,1000,5000000\n"));
        daily_prices.push_str(&format!("{t},ETH,3000\n{t},USDC,1\n"));
        daily_gas.push_str(&format!("{t},30\n"));
    }
    v.push(Case {
        name: "strategy: a one-second grid over ten years",
        files: vec![
            ("pool.csv", daily),
            ("prices.csv", daily_prices),
            ("gas.csv", daily_gas),
            (
                "s.toml",
                strategy(
                    "kind = \"hodl\"\npool = \"weth_usdc\"",
                    "grid = \"1s\"\nend = \"2032-01-01\"",
                ),
            ),
        ],
        args: RUN,
        stdin: None,
        expect: Fails(&[
            "s.toml",
            "on a 1s grid has 315532801 steps, more than the 20000000",
        ]),
    });
    // A gap in the pool's data longer than the carry limit, inside the run.
    v.push(Case {
        name: "a gap longer than the carry limit inside the run",
        files: vec![
            ("pool.csv", pool_with(|r| { r.drain(100..110); })),
            ("s.toml", strategy(LP, "")),
        ],
        args: RUN,
        stdin: None,
        expect: Fails(&["s.toml: pool 'weth_usdc': field 'price' has no value from 2022-01-05T03:00:00Z to 2022-01-05T06:00:00Z", "carry_limit"]),
    });
    // The peer minute format.
    let peer_manifest = "[dataset]\nname = \"peer\"\n[[chains]]\nname = \"polygon\"\nnative_asset = \"MATIC\"\n[[pools]]\nid = \"p\"\nkind = \"concentrated\"\nchain = \"polygon\"\ntokens = [\"USDC\", \"WETH\"]\ndecimals = [6, 18]\nfee = 0.0005\ntick_spacing = 10\n[[files]]\npath = \"minute\"\nkind = \"pool\"\nid = \"p\"\nformat = \"peer_minute\"\nusd_token = 0\n";
    let header = "timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity\n";
    v.push(Case {
        name: "peer format: a tick that is not a number",
        files: vec![
            ("manifest.toml", peer_manifest.into()),
            ("minute/pool-2022-07-19.csv", format!("{header}2022-07-19 00:00:00,-100,1,200311.5x,200310,200300,200320,2000000000,0,446382924064782744\n")),
        ],
        args: CHECK,
        stdin: None,
        expect: Fails(&["pool-2022-07-19.csv, line 2, column 'closeTick'", "'200311.5x' is not a number"]),
    });
    v.push(Case {
        name: "peer format: a missing column",
        files: vec![
            ("manifest.toml", peer_manifest.into()),
            (
                "minute/pool-2022-07-19.csv",
                "timestamp,netAmount0,netAmount1,closeTick\n2022-07-19 00:00:00,-100,1,200311.0\n"
                    .into(),
            ),
        ],
        args: CHECK,
        stdin: None,
        expect: Fails(&["pool-2022-07-19.csv", "inAmount0"]),
    });
    // Flags and the quote stream.
    for (name, args, needle) in [
        (
            "flags: a shard outside its count",
            &["run", "s.toml", "--out", "out", "--shard", "3/2"][..],
            "--shard '3/2': need 0 <= K < N",
        ),
        (
            "flags: a bad series policy",
            &["run", "s.toml", "--out", "out", "--series", "best:0"][..],
            "--series 'best:0'",
        ),
        (
            "flags: an unknown flag",
            &["run", "s.toml", "--turbo"][..],
            "--turbo",
        ),
    ] {
        v.push(Case {
            name,
            files: vec![("s.toml", strategy(LP, ""))],
            args,
            stdin: None,
            expect: Fails(std::slice::from_ref(Box::leak(Box::new(needle)))),
        });
    }
    v.push(Case {
        name: "quote: a coin index outside the pool (a fuzz finding)",
        files: vec![],
        args: &["quote"],
        stdin: Some("{\"op\":\"stableswap.exchange\",\"balances\":[1000000,1000000,1000000],\"amp\":1000,\"fee\":0.0004,\"admin_fee\":0.5,\"i\":8,\"j\":1,\"dx\":1000}\n"),
        expect: Works(&["i must be a coin index of the pool, got 8"]),
    });
    v.push(Case {
        name: "quote: bad lines answer errors, the stream goes on",
        files: vec![],
        args: &["quote"],
        stdin: Some("not json\n{\"op\":\"v2.amount_out\",\"reserve_in\":-1,\"reserve_out\":1,\"amount_in\":1,\"fee\":0.003}\n{\"op\":\"v2.amount_out\",\"reserve_in\":100,\"reserve_out\":300000,\"amount_in\":1,\"fee\":0.003}\n"),
        expect: Works(&["not a JSON object", "reserve_in", "\"amount_out\":"]),
    });
    v
}

/// A strategy file with its own top-level keys (capital included).
fn strategy_top(kind_and_params: &str, top: &str) -> String {
    format!("data = \"manifest.toml\"\n{top}\n[strategy]\n{kind_and_params}\n")
}

/// The second, adversarial round (issue 16): inputs the first table did not think of.
/// Each is refused by a mechanism (declared domains, checked arithmetic, bounded reads,
/// nesting limits), not by a case of its own.
fn adversarial_cases() -> Vec<Case> {
    use Expect::*;
    let deep_key = vec!["a"; 5000].join(".");
    let peer = "[dataset]\nname = \"peer\"\n[[chains]]\nname = \"polygon\"\nnative_asset = \"MATIC\"\n[[pools]]\nid = \"p\"\nkind = \"concentrated\"\nchain = \"polygon\"\ntokens = [\"USDC\", \"WETH\"]\ndecimals = [6, 4294967295]\nfee = 0.0005\ntick_spacing = 10\n[[files]]\npath = \"minute\"\nkind = \"pool\"\nid = \"p\"\nformat = \"peer_minute\"\nusd_token = 0\n";
    let header = "timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity\n";
    let mut crlf = pool_csv(&pool_rows());
    crlf = crlf.replacen("\n", "\r\n", 40);
    crlf = crlf.replacen("\n1640", "\r1640", 1);
    let v = vec![
        // Panics.
        run(
            "adversarial: a capital of 5e-324",
            strategy_top(LP, "capital_usd = 5e-324"),
            Fails(&["s.toml", "capital_usd = 5e-324", "between"]),
        ),
        Case {
            name: "adversarial: every price 1e-300",
            files: vec![
                ("pool.csv", pool_with(|r| r.iter_mut().for_each(|x| x[1] = "1e-300".into()))),
                ("s.toml", strategy(LP, "")),
            ],
            args: RUN,
            stdin: None,
            expect: Fails(&["pool.csv, line 2, column 'price'", "1e-300", "between"]),
        },
        run(
            "adversarial: sweep axes whose product overflows",
            strategy(
                LP,
                "[sweep]\na = { from = 1, to = 1e9, log_steps = 900 }\nb = { from = 1, to = 1e9, log_steps = 900 }\nc = { from = 1, to = 1e9, log_steps = 900 }\nd = { from = 1, to = 1e9, log_steps = 900 }\ne = { from = 1, to = 1e9, log_steps = 900 }\nf = { from = 1, to = 1e9, log_steps = 900 }\ng = { from = 1, to = 1e9, log_steps = 900 }\n",
            ),
            Fails(&["s.toml", "over the limit of"]),
        ),
        run(
            "adversarial: a window step near i64::MAX",
            strategy(LP, "start = \"2022-01-01\"\nend = \"2022-01-19\"\n[windows]\nevery = \"9223372036854775000s\"\nlength = \"7d\""),
            Fails(&["s.toml", "[windows] every", "at most"]),
        ),
        run(
            "adversarial: a 5,000-level dotted sweep key",
            strategy(LP, &format!("[sweep]\n\"{deep_key}\" = [1, 2]")),
            Fails(&["s.toml", "levels"]),
        ),
        manifest(
            "adversarial: a bar of i64::MAX seconds",
            "columns = { price = \"price\", volume_usd = \"volume_usd\", tvl_usd = \"tvl_usd\" }",
            "columns = { price = \"price\", volume_usd = \"volume_usd\", tvl_usd = \"tvl_usd\" }\nbar = \"9223372036854775807s\"",
            Fails(&["manifest.toml", "bar", "at most"]),
        ),
        // Hangs.
        Case {
            name: "adversarial: data check /dev/zero",
            files: vec![],
            args: &["data", "check", "/dev/zero"],
            stdin: None,
            expect: Fails(&["/dev/zero", "not a regular file"]),
        },
        Case {
            name: "adversarial: run /dev/urandom",
            files: vec![],
            args: &["run", "/dev/urandom", "--out", "out"],
            stdin: None,
            expect: Fails(&["/dev/urandom", "not a regular file"]),
        },
        Case {
            name: "adversarial: a strategy whose data is /dev/zero",
            files: vec![("s.toml", strategy(LP, "").replace("manifest.toml", "/dev/zero"))],
            args: RUN,
            stdin: None,
            expect: Fails(&["/dev/zero", "not a regular file"]),
        },
        // Nonsense accepted.
        run(
            "adversarial: a capital of 1e308",
            strategy_top(LP, "capital_usd = 1e308"),
            Fails(&["s.toml", "capital_usd", "between"]),
        ),
        run(
            "adversarial: a capital of 1e29",
            strategy_top(LP, "capital_usd = 1e29"),
            Fails(&["s.toml", "capital_usd", "between"]),
        ),
        Case {
            name: "adversarial: a 40-digit volume",
            files: vec![
                ("pool.csv", pool_with(|r| r[5][2] = "1234567890123456789012345678901234567890".into())),
                ("s.toml", strategy(LP, "")),
            ],
            args: RUN,
            stdin: None,
            expect: Fails(&["pool.csv, line 7, column 'volume_usd'", "between"]),
        },
        manifest(
            "adversarial: a pool of one token twice",
            "tokens = [\"WETH\", \"USDC\"]",
            "tokens = [\"WETH\", \"WETH\"]",
            Fails(&["manifest.toml", "tokens", "twice"]),
        ),
        Case {
            name: "adversarial: decimals of 4294967295",
            files: vec![
                ("manifest.toml", peer.into()),
                ("minute/pool-2022-07-19.csv", format!("{header}2022-07-19 00:00:00,-100,1,200311,200310,200300,200320,2000000000,0,446382924064782744\n")),
            ],
            args: CHECK,
            stdin: None,
            expect: Fails(&["manifest.toml", "decimals", "between 0 and"]),
        },
        manifest(
            "adversarial: an amplification of -5",
            "kind = \"constant_product\"\nchain = \"ethereum\"\ntokens = [\"WETH\", \"USDC\"]\nfee = 0.003",
            "kind = \"stableswap\"\nchain = \"ethereum\"\ntokens = [\"WETH\", \"USDC\"]\nfee = 0.003\namplification = -5",
            Fails(&["manifest.toml", "amplification", "between"]),
        ),
        manifest(
            "adversarial: a tick spacing of -60",
            "kind = \"constant_product\"\nchain = \"ethereum\"\ntokens = [\"WETH\", \"USDC\"]\nfee = 0.003",
            "kind = \"concentrated\"\nchain = \"ethereum\"\ntokens = [\"WETH\", \"USDC\"]\nfee = 0.003\ntick_spacing = -60",
            Fails(&["manifest.toml", "tick_spacing", "between"]),
        ),
        manifest(
            "adversarial: another kind's parameter (tick_spacing on a constant-product pool)",
            "fee = 0.003",
            "fee = 0.003\ntick_spacing = 60",
            Fails(&["manifest.toml", "weth_usdc", "`tick_spacing` is a parameter of concentrated pools", "correct `kind`"]),
        ),
        Case {
            name: "adversarial: validate with nothing to check",
            files: vec![],
            args: &["validate", "--manifest", "manifest.toml", "--data-root", ".", "--out", "v"],
            stdin: None,
            expect: Fails(&["nothing to check"]),
        },
        run(
            "adversarial: a pool-hop min_tvl_usd of nan",
            strategy(
                "kind = \"pool_hop\"\nwindow = \"7d\"\nmin_tvl_usd = nan",
                "",
            ),
            Fails(&["s.toml", "min_tvl_usd"]),
        ),
        // Exit codes and messages.
        Case {
            name: "adversarial: a folder where a data file is expected",
            files: vec![("folder/x", "x".into()), ("manifest.toml", MANIFEST.replacen("path = \"pool.csv\"", "path = \"folder\"", 1))],
            args: CHECK,
            stdin: None,
            expect: Fails(&["folder", "is a folder"]),
        },
        Case {
            name: "adversarial: --out naming a regular file",
            files: vec![("out", "x".into()), ("s.toml", strategy(LP, ""))],
            args: RUN,
            stdin: None,
            expect: Fails(&["out", "is a file, not a folder"]),
        },
        run(
            "adversarial: a 30d grid over 20 days",
            strategy(LP, "grid = \"30d\""),
            Fails(&["s.toml", "grid"]),
        ),
        Case {
            name: "adversarial: mixed line endings with a bad line",
            files: vec![("pool.csv", crlf.replacen("3000,1000,5000000", "3000,1000,5000000,9", 1))],
            args: CHECK,
            stdin: None,
            expect: Fails(&["pool.csv", "line"]),
        },
        Case {
            name: "adversarial: a data file of one 2 MiB line",
            files: vec![("pool.csv", "x".repeat(2 << 20))],
            args: CHECK,
            stdin: None,
            expect: Fails(&["pool.csv: malformed CSV, line 1", "header line is longer than"]),
        },
        Case {
            name: "adversarial: --max-runs 0",
            files: vec![("s.toml", strategy(LP, ""))],
            args: &["run", "s.toml", "--out", "out", "--max-runs", "0"],
            stdin: None,
            expect: Fails(&["--max-runs", "0 is not in 1.."]),
        },
        Case {
            name: "adversarial: --max-runs 1 on two files",
            files: vec![("s.toml", strategy(LP, "")), ("t.toml", strategy(LP, ""))],
            args: &["run", "s.toml", "t.toml", "--out", "out", "--max-runs", "1"],
            stdin: None,
            expect: Fails(&["t.toml", "limit of --max-runs 1"]),
        },
    ];
    v
}

fn run_case(c: &Case, dir: &Path) -> common::Run {
    for (name, text) in base_files() {
        std::fs::write(dir.join(name), text).unwrap();
    }
    for (name, text) in &c.files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    common::run_binary(c.args, dir, c.stdin)
}

#[test]
fn every_bad_input_gets_a_clear_error_or_a_documented_behaviour() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    check_all(&cases);
}

#[test]
fn the_adversarial_round_gets_clear_errors() {
    let cases = adversarial_cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    check_all(&cases);
}

fn check_all(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        let r = run_case(c, dir.path());
        let mut problems = Vec::new();
        if r.code == 101 || r.stderr.contains("panicked") {
            problems.push("PANIC".to_string());
        }
        if r.code == -2 {
            problems.push("HANG".to_string());
        }
        match &c.expect {
            Expect::Fails(needles) => {
                if r.code != 2 {
                    problems.push(format!("exit code {} (expected 2)", r.code));
                }
                for n in needles.iter() {
                    if !r.stderr.contains(n) {
                        problems.push(format!("stderr lacks {n:?}"));
                    }
                }
                if dir.path().join("out/summary.csv").exists() {
                    problems.push("a report was written".into());
                }
            }
            Expect::Works(needles) => {
                if r.code != 0 {
                    problems.push(format!("exit code {} (expected 0)", r.code));
                }
                for n in needles.iter() {
                    if !r.stdout.contains(n) {
                        problems.push(format!("stdout lacks {n:?}"));
                    }
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  stdout: {}\n  stderr: {}",
                c.name,
                problems.join("; "),
                r.stdout.lines().take(3).collect::<Vec<_>>().join(" | "),
                r.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
