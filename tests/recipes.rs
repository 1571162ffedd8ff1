//! docs/recipes.md stays true: every `toml` block starting with `# recipe: <name>` is
//! written as a manifest beside a small file in that source's layout, and `yieldlab data
//! check` must load it. A recipe without a fixture here, or a fixture without its
//! recipe, fails.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

/// The recipes of docs/recipes.md: name → manifest text.
fn recipes() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(common::repo().join("docs/recipes.md")).unwrap();
    let mut out = BTreeMap::new();
    let mut block: Option<String> = None;
    for line in doc.lines() {
        match (&mut block, line.trim_start()) {
            (None, "```toml") => block = Some(String::new()),
            (Some(b), "```") => {
                if let Some(name) = b.lines().next().and_then(|l| l.strip_prefix("# recipe: ")) {
                    out.insert(name.trim().to_string(), b.clone());
                }
                block = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

/// Writes the files of `recipe` in its source's layout into `dir`.
fn fixture(recipe: &str, dir: &Path) {
    let put = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    match recipe {
        // https://yields.llama.fi/chart/<uuid>
        "defillama" => put(
            "chart.json",
            r#"{"status":"success","data":[
{"timestamp":"2023-01-01T23:01:15.025Z","tvlUsd":150000000,"apy":12.5,"apyBase":12.5,"apyReward":null,"il7d":null,"apyBase7d":null},
{"timestamp":"2023-01-02T23:01:09.741Z","tvlUsd":151000000,"apy":11.9,"apyBase":11.4,"apyReward":0.5,"il7d":null,"apyBase7d":null},
{"timestamp":"2023-01-03T23:00:58.110Z","tvlUsd":149500000,"apy":12.1,"apyBase":12.1,"apyReward":null,"il7d":null,"apyBase7d":null}]}"#,
        ),
        // Dune's CSV export: its default timestamp text.
        "dune" => put(
            "dune_export.csv",
            "day,volume_usd,tvl_usd\n\
             2023-01-01 00:00:00.000 UTC,15000000.5,300000000\n\
             2023-01-02 00:00:00.000 UTC,17000000.25,301000000\n\
             2023-01-03 00:00:00.000 UTC,12000000,299000000\n",
        ),
        // The subgraph's GraphQL answer, saved from its playground.
        "thegraph" => put(
            "pool_day_datas.json",
            r#"{"data":{"poolDayDatas":[
{"date":1672531200,"token1Price":"1196.5","volumeUSD":"98000000.1","feesUSD":"294000.3","tvlUSD":"280000000","liquidity":"17000000000000000000","feeGrowthGlobal0X128":"3402823669209384634633746074317682114","feeGrowthGlobal1X128":"1361129467683753853853498429727072845"},
{"date":1672617600,"token1Price":"1215.2","volumeUSD":"120000000.7","feesUSD":"360000.2","tvlUSD":"282000000","liquidity":"17100000000000000000","feeGrowthGlobal0X128":"3402823669209384634633746074317682200","feeGrowthGlobal1X128":"1361129467683753853853498429727072900"}]}}"#,
        ),
        // etherscan.io/chart/gasprice and /chart/etherprice, "Download: CSV Data".
        "etherscan" => {
            put(
                "export-AvgGasPrice.csv",
                "\"Date(UTC)\",\"UnixTimeStamp\",\"Value (Wei)\"\n\
                 \"1/1/2023\",\"1672531200\",\"16734510286\"\n\
                 \"1/2/2023\",\"1672617600\",\"19283020001\"\n",
            );
            put(
                "export-EtherPrice.csv",
                "\"Date(UTC)\",\"UnixTimeStamp\",\"Value\"\n\
                 \"1/1/2023\",\"1672531200\",\"1200.96\"\n\
                 \"1/2/2023\",\"1672617600\",\"1214.66\"\n",
            );
        }
        // demeter-fetch minute files: one per day.
        "demeter_minute" => {
            let header = "timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity\n";
            put(
                "minute/polygon-0x45dda9cb7c25131df268515131f647d726f50608-2023-01-01.minute.csv",
                &format!("{header}2023-01-01 00:00:00,-100,1,200311.0,200310,200300,200320,2000000000,0,446382924064782744\n2023-01-01 00:01:00,5,0,200312.0,200311,200311,200312,0,1000000000000000000,446382924064782744\n"),
            );
            put(
                "minute/polygon-0x45dda9cb7c25131df268515131f647d726f50608-2023-01-02.minute.csv",
                &format!("{header}2023-01-02 00:00:00,0,0,200320.0,200312,200312,200320,0,0,446382924064782744\n2023-01-02 00:01:00,3,0,200321.0,200320,200320,200321,0,0,446382924064782744\n"),
            );
        }
        // demeter-fetch tick files: one row per swap, mint and burn, with post-states.
        "demeter_tick" => put(
            "polygon-0x45dda9cb7c25131df268515131f647d726f50608-2023-01-01.tick.csv",
            "block_number,block_timestamp,tx_type,transaction_hash,pool_tx_index,pool_log_index,proxy_log_index,sender,receipt,amount0,amount1,total_liquidity,total_liquidity_delta,sqrtPriceX96,current_tick,position_id,tick_lower,tick_upper,liquidity\n\
             37889000,2023-01-01 00:00:13,MINT,0xaa,3,10,,0x01,0x02,1000000,500000000000000,,,,,,-887270,887270,2000000000000000\n\
             37889002,2023-01-01 00:00:17,SWAP,0xab,1,4,,0x03,0x03,-2000,1500000000000,446382924064782744,0,1772030394567893218393470213463842,200311,,,,\n\
             37889009,2023-01-01 00:00:31,SWAP,0xac,0,7,,0x04,0x04,3000,-2200000000000,446382924064782744,0,1772030394567893218393470213463855,200311,,,,\n",
        ),
        // Trading Strategy's CLMM candles: one Parquet file of two pairs, amounts and
        // liquidity as decimal256(76) raw integers.
        "tradingstrategy_clmm" => clmm_candles(&dir.join("clmm-candles-1m.parquet")),
        other => panic!("docs/recipes.md has a recipe '{other}' that no fixture here tests"),
    }
}

#[test]
fn every_recipe_in_the_docs_loads_its_sources_layout() {
    let all = recipes();
    let names: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "defillama",
            "demeter_minute",
            "demeter_tick",
            "dune",
            "etherscan",
            "thegraph",
            "tradingstrategy_clmm"
        ],
        "the recipes the docs give"
    );
    for (name, manifest) in &all {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("manifest.toml"), manifest).unwrap();
        fixture(name, dir.path());
        // A manifest of pool events only: each [[events]] entry loads through the
        // loader the exact replay reads.
        let doc: toml::Value = toml::from_str(manifest).unwrap();
        if let Some(events) = doc.get("events").and_then(|e| e.as_array()) {
            for e in events {
                let entry: yieldlab::data::events::EventsEntry = e.clone().try_into().unwrap();
                let loaded = yieldlab::data::events::load_events(dir.path(), &entry)
                    .unwrap_or_else(|e| panic!("recipe {name}: {e}"));
                assert_eq!(loaded.len(), 3, "recipe {name}: a mint and two swaps");
            }
            continue;
        }
        let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
        assert_eq!(run.code, 0, "recipe {name}:\n{}{}", run.stdout, run.stderr);
        let ds = yieldlab::data::Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
        assert!(
            ds.files.iter().all(|f| f.rows >= 2),
            "recipe {name}: every file read: {:?}",
            ds.files
        );
    }
}

#[test]
fn the_etherscan_chart_export_reads_wei_as_gwei() {
    let manifest = recipes()["etherscan"].clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), manifest).unwrap();
    fixture("etherscan", dir.path());
    let ds = yieldlab::data::Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let g = ds
        .get(yieldlab::market::SeriesKind::Gas, "ethereum")
        .unwrap();
    assert!((g.fields[&yieldlab::market::Field::GasPriceGwei][0] - 16.734510286).abs() < 1e-9);
}

/// The pair of the recipe and its liquidity: the largest i128, far beyond i64, in a
/// 32-byte decimal as pyarrow writes it.
const CLMM_PAIR: i32 = 2697765;
fn clmm_liquidity() -> polars_arrow::types::i256 {
    polars_arrow::types::i256::from_words(0, i128::MAX)
}

/// Writes a CLMM candle file in Trading Strategy's schema (`tradingstrategy.clmm.CLMM`):
/// three minutes of the recipe's pair interleaved with another pair's rows.
fn clmm_candles(path: &Path) {
    use polars_arrow::array::{Array, FixedSizeBinaryArray, PrimitiveArray};
    use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field, TimeUnit};
    use polars_arrow::types::i256;
    use polars_parquet::write::{
        row_group_iter, schema_to_metadata_key, to_parquet_schema, CompressionOptions, Encoding,
        FileWriter, StatisticsOptions, Version, WriteOptions,
    };
    let (mut pair, mut bucket, mut tick) = (vec![], vec![], vec![]);
    let (mut liq, mut in0, mut in1, mut net) = (vec![], vec![], vec![], vec![]);
    let t0 = 1_704_067_200_000i64; // 2024-01-01 00:00 UTC, in ms (as pyarrow stores timestamp[s])
    for m in 0..3i64 {
        for (p, t) in [(CLMM_PAIR, 200_310 + m as i32), (99, -50)] {
            pair.push(p);
            bucket.push(t0 + 60_000 * m);
            tick.push(t);
            liq.push(if p == CLMM_PAIR {
                clmm_liquidity()
            } else {
                i256::from_words(0, 7)
            });
            // 2,000 USDC in and 1 WETH in, raw.
            in0.push(i256::from_words(0, 2_000_000_000));
            in1.push(i256::from_words(0, 1_000_000_000_000_000_000));
            net.push(i256::from_words(-1, -5)); // -5: two's complement over both words
        }
    }
    // polars' writer cannot encode 256-bit integers, so the decimals are written as what
    // they are on disk (32-byte big-endian two's complement) under pyarrow's declared
    // schema: `decimal256(76, 0)` in the Parquet schema and in ARROW:schema.
    let wide = |v: &[i256]| {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.0.to_be_bytes()).collect();
        Box::new(FixedSizeBinaryArray::new(
            ArrowDataType::FixedSizeBinary(32),
            polars_buffer::Buffer::from(bytes),
            None,
        )) as Box<dyn Array>
    };
    let int = |v: &[i32]| Box::new(PrimitiveArray::<i32>::from_slice(v)) as Box<dyn Array>;
    let time = Box::new(
        PrimitiveArray::<i64>::from_slice(&bucket)
            .to(ArrowDataType::Timestamp(TimeUnit::Millisecond, None)),
    ) as Box<dyn Array>;
    let columns: Vec<(&str, Box<dyn Array>)> = vec![
        ("pair_id", int(&pair)),
        ("bucket", time),
        ("open_tick", int(&tick)),
        ("close_tick", int(&tick)),
        ("high_tick", int(&tick)),
        ("low_tick", int(&tick)),
        ("current_liquidity", wide(&liq)),
        ("net_amount0", wide(&net)),
        ("net_amount1", wide(&net)),
        ("in_amount0", wide(&in0)),
        ("in_amount1", wide(&in1)),
    ];
    let schema_of = |declared: bool| -> ArrowSchema {
        columns
            .iter()
            .map(|(n, a)| {
                let dtype = match a.dtype() {
                    ArrowDataType::FixedSizeBinary(_) if declared => {
                        ArrowDataType::Decimal256(76, 0)
                    }
                    d => d.clone(),
                };
                let f = Field::new((*n).into(), dtype, false);
                (f.name.clone(), f)
            })
            .collect()
    };
    let (on_disk, declared) = (schema_of(false), schema_of(true));
    let options = WriteOptions {
        statistics: StatisticsOptions::empty(),
        version: Version::V2,
        compression: CompressionOptions::Snappy,
        data_page_size: None,
    };
    let parquet_schema = to_parquet_schema(&declared).unwrap();
    let encodings: Vec<Vec<Encoding>> = on_disk
        .iter_values()
        .map(|_| vec![Encoding::Plain])
        .collect();
    let fields = parquet_schema.fields().to_vec();
    let rows = pair.len();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    let batch = polars_arrow::record_batch::RecordBatchT::try_new(
        rows,
        std::sync::Arc::new(on_disk.clone()),
        arrays,
    )
    .unwrap();
    let mut out = Vec::new();
    let mut w = FileWriter::new_with_parquet_schema(&mut out, on_disk, parquet_schema, options);
    w.write(
        rows as u64,
        row_group_iter(batch, encodings.into(), fields, options),
    )
    .unwrap();
    w.end(Some(vec![schema_to_metadata_key(&declared)]))
        .unwrap();
    std::fs::write(path, out).unwrap();
}

#[test]
fn clmm_candles_read_one_pair_with_wide_decimal_liquidity() {
    let manifest = recipes()["tradingstrategy_clmm"].clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), &manifest).unwrap();
    fixture("tradingstrategy_clmm", dir.path());
    let ds = yieldlab::data::Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let p = ds
        .get(yieldlab::market::SeriesKind::Pool, "usdc_weth_0p05")
        .unwrap();
    use yieldlab::market::Field;
    assert_eq!(p.ts.len(), 3, "only the pair's three rows");
    assert_eq!(p.fields[&Field::Tick], [200_310.0, 200_311.0, 200_312.0]);
    // 2^127 - 1, rounded once.
    let want = 2f64.powi(127);
    assert_eq!(p.fields[&Field::Liquidity][0], want);
    assert_eq!(clmm_liquidity().to_string().parse::<f64>().unwrap(), want);
    // Token1 per token0 (WETH per USDC) from the close tick and the decimals.
    let price = 1.0001f64.powf(200_310.0) * 1e-12;
    assert!((p.fields[&Field::Price][0] / price - 1.0).abs() < 1e-12);
    // 2,000 USDC + 1 WETH valued at the bar's price in USDC.
    let vol = 2000.0 + 1.0 / price;
    assert!((p.fields[&Field::VolumeUsd][0] / vol - 1.0).abs() < 1e-12);

    // Without pair_id, a file of two pairs is refused, naming both.
    let without = manifest.replace("pair_id = 2697765\n", "");
    assert_ne!(without, manifest, "the recipe sets pair_id");
    std::fs::write(dir.path().join("manifest.toml"), &without).unwrap();
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("holds 2 pairs (2697765, 99)") && run.stderr.contains("pair_id"),
        "{}",
        run.stderr
    );
    // A pair the file does not hold.
    std::fs::write(
        dir.path().join("manifest.toml"),
        manifest.replace("2697765", "5"),
    )
    .unwrap();
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no row has pair_id = 5"),
        "{}",
        run.stderr
    );
}
