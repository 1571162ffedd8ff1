//! Hot protocol-math functions, f64 (the engine's per-step path).
//!
//! Run: `cargo bench --bench amm`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use yieldlab::amm::{stableswap, v2, v3};

fn bench(c: &mut Criterion) {
    c.bench_function("v2 amount_out", |b| {
        b.iter(|| v2::amount_out(black_box(1.0e6), black_box(3.0e9), black_box(1.5e3), 0.003))
    });
    c.bench_function("v2 pair swap (quote + apply)", |b| {
        let p = v2::Pair::new(1.0e6, 3.0e9, 5.0e7, 0.003).unwrap();
        b.iter(|| {
            let mut q = p;
            q.swap(true, black_box(1.5e3)).unwrap()
        })
    });
    c.bench_function("v3 amounts_for_liquidity (checked)", |b| {
        b.iter(|| {
            v3::amounts_for_liquidity(
                black_box(1.5),
                black_box(1.2),
                black_box(2.0),
                black_box(1e12),
            )
        })
    });
    c.bench_function("v3 position value (hot loop form)", |b| {
        b.iter(|| {
            v3::value_unchecked(
                black_box(1.5),
                black_box(1.2),
                black_box(2.0),
                black_box(1e12),
            )
        })
    });
    c.bench_function("v3 price_to_tick", |b| {
        b.iter(|| v3::price_to_tick(black_box(5.0e8)))
    });
    for n in [2usize, 3, 4] {
        let xp: Vec<f64> = (0..n).map(|k| 1.0e8 * (1.0 + 0.3 * k as f64)).collect();
        c.bench_function(&format!("stableswap D n={n}"), |b| {
            b.iter(|| stableswap::get_d(black_box(&xp), black_box(2000.0)))
        });
        let pool = stableswap::Pool::new(xp.clone(), 2000.0, 0.0004, 0.5, xp.iter().sum()).unwrap();
        c.bench_function(&format!("stableswap get_dy n={n}"), |b| {
            b.iter(|| pool.quote_exchange(0, 1, black_box(1.0e5)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
