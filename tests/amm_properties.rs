//! Properties of the protocol math that must hold for any state (proptest).

use proptest::prelude::*;
use yieldlab::amm::{compound, stableswap, v2, v3};

fn reserve() -> impl Strategy<Value = f64> {
    (1e-3f64..1e9).prop_map(|x| x)
}

proptest! {
    // A fixed seed keeps CI deterministic; set PROPTEST_RNG_SEED to explore other cases.
    #![proptest_config(ProptestConfig {
        cases: 400,
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261129)
        ),
        // The committed regressions (amm_properties.proptest-regressions) replay first.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::SourceParallel("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    /// k never decreases after a fee-paying swap.
    #[test]
    fn v2_k_never_decreases(r0 in reserve(), r1 in reserve(), frac in 1e-6f64..0.9, fee in 0.0f64..0.01, dir in any::<bool>()) {
        let mut p = v2::Pair::new(r0, r1, (r0 * r1).sqrt(), fee).unwrap();
        let k0 = p.k();
        let amount = if dir { r0 * frac } else { r1 * frac };
        p.swap(dir, amount).unwrap();
        prop_assert!(p.k() >= k0 * (1.0 - 1e-12), "k {} -> {}", k0, p.k());
    }

    /// Selling A for B and B back for A never returns more A.
    #[test]
    fn v2_round_trip_never_profits(r0 in reserve(), r1 in reserve(), frac in 1e-6f64..0.9, fee in 0.0f64..0.01) {
        let mut p = v2::Pair::new(r0, r1, (r0 * r1).sqrt(), fee).unwrap();
        let a = r0 * frac;
        let b = p.swap(true, a).unwrap().amount_out;
        let back = p.swap(false, b).unwrap().amount_out;
        prop_assert!(back <= a * (1.0 + 1e-12), "{} -> {}", a, back);
    }

    /// Deposit then withdraw never returns more than went in.
    #[test]
    fn v2_deposit_withdraw_never_gains(r0 in reserve(), r1 in reserve(), a0 in 1e-6f64..1e6, a1 in 1e-6f64..1e6) {
        let mut p = v2::Pair::new(r0, r1, (r0 * r1).sqrt(), 0.003).unwrap();
        let minted = p.add(a0, a1).unwrap();
        let (b0, b1) = p.remove(minted).unwrap();
        prop_assert!(b0 <= a0 * (1.0 + 1e-12) && b1 <= a1 * (1.0 + 1e-12));
    }

    /// With no fee, IL is never positive, and equals its closed form on both sides.
    #[test]
    fn v2_il_is_never_positive(r in 1e-4f64..1e4) {
        let il = v2::impermanent_loss(r).unwrap();
        prop_assert!(il <= 0.0);
        prop_assert!((il - v2::impermanent_loss(1.0 / r).unwrap()).abs() < 1e-12);
    }

    /// v3 amounts are continuous at the range edges.
    #[test]
    fn v3_amounts_are_continuous_at_the_edges(sa in 0.01f64..100.0, width in 1.0001f64..10.0, l in 1.0f64..1e12) {
        v3_edges_continuous(sa, width, l)?;
    }

    /// A range position never beats holding (no fees), in or out of range.
    #[test]
    fn v3_il_is_never_positive(pa in 0.01f64..100.0, width in 1.001f64..100.0, at in 0.0f64..1.0, move_ in 0.05f64..20.0) {
        let pb = pa * width;
        let p0 = pa * width.powf(at);
        let r = v3::range_il(pa, pb, p0, p0 * move_).unwrap();
        prop_assert!(r.il <= 1e-12, "il {}", r.il);
    }

    /// Funding liquidity from amounts never needs more than those amounts.
    #[test]
    fn v3_liquidity_fits_in_the_amounts(sp in 0.01f64..100.0, sa in 0.01f64..100.0, width in 1.001f64..10.0, a0 in 0.0f64..1e9, a1 in 0.0f64..1e9) {
        let sb = sa * width;
        let l = v3::liquidity_for_amounts(sp, sa, sb, a0, a1).unwrap();
        let (u0, u1) = v3::amounts_for_liquidity(sp, sa, sb, l).unwrap();
        prop_assert!(u0 <= a0 * (1.0 + 1e-9) + 1e-9 && u1 <= a1 * (1.0 + 1e-9) + 1e-9);
    }

    /// D grows with every balance.
    #[test]
    fn stableswap_d_grows_with_balances(b in prop::collection::vec(1e3f64..1e9, 2..=4), k in 0usize..4, add in 1.0f64..1e6, amp in 1.0f64..5000.0) {
        let k = k % b.len();
        let d0 = stableswap::get_d(&b, amp).unwrap();
        let mut more = b.clone();
        more[k] += add;
        prop_assert!(stableswap::get_d(&more, amp).unwrap() > d0);
    }

    /// Swapping i→j→i never profits, and fees never lower the virtual price.
    #[test]
    fn stableswap_round_trip_never_profits(b in prop::collection::vec(1e5f64..1e9, 2..=4), frac in 1e-6f64..0.3, amp in 1.0f64..5000.0, fee in 0.0f64..0.003) {
        let mut p = stableswap::Pool::new(b.clone(), amp, fee, 0.0, b.iter().sum()).unwrap();
        let vp0 = p.virtual_price().unwrap();
        let dx = b[0] * frac;
        let dy = p.exchange(0, 1, dx).unwrap().dy;
        let back = p.exchange(1, 0, dy).unwrap().dy;
        prop_assert!(back <= dx * (1.0 + 1e-12), "{} -> {}", dx, back);
        prop_assert!(p.virtual_price().unwrap() >= vp0 * (1.0 - 1e-12));
    }

    /// Deposit then withdraw in one coin never returns more than the deposit's value
    /// in a balanced pool (coins worth the same).
    #[test]
    fn stableswap_deposit_withdraw_never_gains(n in 2usize..=4, bal in 1e5f64..1e9, dep in 1.0f64..1e5, amp in 1.0f64..5000.0, fee in 0.0f64..0.003) {
        let mut p = stableswap::Pool::new(vec![bal; n], amp, fee, 0.5, bal * n as f64).unwrap();
        let mut amounts = vec![0.0; n];
        amounts[0] = dep;
        let minted = p.add_liquidity(&amounts).unwrap().lp_amount;
        let out = p.quote_remove_liquidity_one_coin(minted, 0).unwrap().dy;
        prop_assert!(out <= dep * (1.0 + 1e-9), "{} -> {}", dep, out);
    }

    /// Compounding more often with no cost never lowers the value; the value never exceeds the continuous limit.
    #[test]
    fn compounding_is_bounded_by_the_continuous_limit(apr in 0.0f64..2.0, n in 1u32..1000, years in 0.1f64..5.0) {
        let v = compound::value(1000.0, apr, n as f64, years, 0.0, true).unwrap();
        let v2 = compound::value(1000.0, apr, (2 * n) as f64, years, 0.0, true).unwrap();
        prop_assert!(v <= compound::continuous(1000.0, apr, years) * (1.0 + 1e-12));
        // Doubling the harvest count compounds at least as much (same horizon; leftover periods accrue simply).
        prop_assert!(v2 >= v * (1.0 - 1e-12));
    }
}

/// The body of `v3_amounts_are_continuous_at_the_edges`. Steps of 1e-15 of the price:
/// the amounts may move by at most what the derivative allows over such a step (L/s²
/// per unit of √p), far below 1e-9.
fn v3_edges_continuous(sa: f64, width: f64, l: f64) -> Result<(), TestCaseError> {
    let sb = sa * width;
    for edge in [sa, sb] {
        let below = v3::amounts_for_liquidity(edge * (1.0 - 1e-15), sa, sb, l).unwrap();
        let above = v3::amounts_for_liquidity(edge * (1.0 + 1e-15), sa, sb, l).unwrap();
        let at = v3::amounts_for_liquidity(edge, sa, sb, l).unwrap();
        let scale = l * (sb - sa) / (sa * sb) + l * (sb - sa);
        for (x, y) in [(below, at), (at, above)] {
            prop_assert!((x.0 - y.0).abs() <= 1e-9 * scale && (x.1 - y.1).abs() <= 1e-9 * scale);
        }
    }
    Ok(())
}

/// The case committed in amm_properties.proptest-regressions, replayed by name too
/// (proptest replays it first as well, from the file).
#[test]
fn committed_regression_v3_edges_smallest_range() {
    v3_edges_continuous(0.01, 1.0001, 1.0).unwrap();
}
