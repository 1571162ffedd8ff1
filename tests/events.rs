//! Pool events through the loader and the exact replay, on a stream made here (no shared
//! data needed): a mint and 200 swaps whose post-states come from the exact swap math,
//! written in demeter-fetch's `tick.csv` layout as CSV, gzip CSV and Parquet. The loader
//! reads all three the same; the replay reproduces every swap's post-state and the fee
//! growth the stream's own fees add up to.

use std::io::Write;

use ruint::aliases::U256;
use yieldlab::amm::replay::{range_fees, Pool};
use yieldlab::amm::v3_exact::{fee_growth_of, sqrt_ratio_at_tick, swap_step, tick_at_sqrt_ratio};
use yieldlab::data::events::{load_events, EventsEntry};

const FEE: u32 = 500;
const SPACING: i32 = 10;
const L: u128 = 2_000_000_000_000_000_000;

/// The stream as CSV rows (demeter-fetch layout) and the fee growth it adds.
fn stream() -> (String, [U256; 2], usize) {
    let mut csv = String::from("block_number,block_timestamp,tx_type,pool_log_index,amount0,amount1,total_liquidity,sqrtPriceX96,current_tick,tick_lower,tick_upper,liquidity\n");
    // Mid-word, so no swap step stops at a bitmap word boundary.
    let mut sqrt = sqrt_ratio_at_tick(1_285).unwrap();
    csv.push_str(&format!(
        "100,2023-01-01T00:00:00Z,MINT,0,1,1,,,,-5000,5000,{L}\n"
    ));
    let mut fg = [U256::ZERO; 2];
    let mut x: u64 = 12345;
    let mut swaps = 0;
    for k in 0..200u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let zero_for_one = (x >> 33).is_multiple_of(2);
        // Amounts from a tenth of a token to a few tokens: prices stay within ±500 ticks.
        let amount = U256::from(1_000_000_000_000_000u64 + (x >> 20) % 3_000_000_000_000_000_000);
        let target = sqrt_ratio_at_tick(if zero_for_one { 800 } else { 1_780 }).unwrap();
        if (zero_for_one && target >= sqrt) || (!zero_for_one && target <= sqrt) {
            continue;
        }
        let s = swap_step(sqrt, target, L, amount, true, FEE).unwrap();
        if s.sqrt_next == target {
            continue; // would need a second step
        }
        let (a_in, a_out) = (s.amount_in + s.fee, s.amount_out);
        fg[usize::from(!zero_for_one)] += fee_growth_of(s.fee, L).unwrap();
        sqrt = s.sqrt_next;
        let tick = tick_at_sqrt_ratio(sqrt).unwrap();
        let (a0, a1) = if zero_for_one {
            (a_in.to_string(), format!("-{a_out}"))
        } else {
            (format!("-{a_out}"), a_in.to_string())
        };
        csv.push_str(&format!(
            "{},2023-01-01T{:02}:{:02}:00Z,SWAP,{k},{a0},{a1},{L},{sqrt},{tick},,,\n",
            101 + k,
            (k / 60) % 24,
            k % 60
        ));
        swaps += 1;
    }
    (csv, fg, swaps)
}

fn entry(path: &str) -> EventsEntry {
    let cols = [
        ("block", "block_number"),
        ("timestamp", "block_timestamp"),
        ("type", "tx_type"),
        ("log_index", "pool_log_index"),
        ("amount0", "amount0"),
        ("amount1", "amount1"),
        ("sqrt_price_x96", "sqrtPriceX96"),
        ("tick", "current_tick"),
        ("active_liquidity", "total_liquidity"),
        ("liquidity", "liquidity"),
        ("tick_lower", "tick_lower"),
        ("tick_upper", "tick_upper"),
    ];
    EventsEntry {
        pool: "p".into(),
        path: path.into(),
        columns: cols
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        checkpoints: None,
    }
}

#[test]
fn events_load_from_csv_gzip_and_parquet_and_replay_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, fg, swaps) = stream();
    assert!(swaps > 150, "{swaps} swaps");
    std::fs::write(dir.path().join("tick.csv"), &csv).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    std::fs::write(dir.path().join("tick.csv.gz"), gz.finish().unwrap()).unwrap();
    {
        use polars::prelude::*;
        // Every column as text: on-chain integers do not fit i64.
        let mut df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .into_reader_with_file_handle(std::io::Cursor::new(csv.clone().into_bytes()))
            .finish()
            .unwrap();
        let mut f = std::fs::File::create(dir.path().join("tick.parquet")).unwrap();
        ParquetWriter::new(&mut f).finish(&mut df).unwrap();
    }
    let loaded: Vec<_> = ["tick.csv", "tick.csv.gz", "tick.parquet"]
        .iter()
        .map(|p| load_events(dir.path(), &entry(p)).unwrap())
        .collect();
    assert_eq!(loaded[0], loaded[1]);
    assert_eq!(loaded[0], loaded[2]);
    let events = &loaded[0];
    assert_eq!(events.len(), swaps + 1);

    let mut pool = Pool::new(
        sqrt_ratio_at_tick(1_285).unwrap(),
        0,
        [U256::ZERO; 2],
        FEE,
        SPACING,
    )
    .unwrap();
    pool.complete_tick_map = true;
    pool.keep_segments = true;
    for e in events {
        pool.apply(e).unwrap();
    }
    assert_eq!(pool.swaps_exact, swaps as u64);
    assert_eq!(pool.fee_growth_global, fg);
    assert_eq!(pool.liquidity, L);
    // The whole range earned the counters; a range below every price earned nothing.
    let all = range_fees(&pool.segments, 0.0, f64::INFINITY);
    let q128 = 2f64.powi(128);
    for j in 0..2 {
        let counters = yieldlab::amm::v3_exact::to_f64(fg[j]) / q128;
        assert!(
            (all[j] / counters - 1.0).abs() < 1e-9,
            "{} vs {counters}",
            all[j]
        );
    }
    let none = range_fees(&pool.segments, 1.0, 2.0);
    assert_eq!(none, [0.0, 0.0]);
}

#[test]
fn a_bad_event_value_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, _, _) = stream();
    let bad = csv.replacen(",SWAP,", ",SWAPP,", 1);
    std::fs::write(dir.path().join("tick.csv"), bad).unwrap();
    let e = load_events(dir.path(), &entry("tick.csv"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tick.csv")
            && e.contains("line 3")
            && e.contains("tx_type")
            && e.contains("SWAPP"),
        "{e}"
    );
    let mut bad_map = entry("tick.csv");
    bad_map
        .columns
        .insert("sqrt_prise_x96".into(), "sqrtPriceX96".into());
    let e = load_events(dir.path(), &bad_map).unwrap_err().to_string();
    assert!(
        e.contains("sqrt_prise_x96") && e.contains("sqrt_price_x96"),
        "{e}"
    );
}
