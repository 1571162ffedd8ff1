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
            "thegraph"
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
