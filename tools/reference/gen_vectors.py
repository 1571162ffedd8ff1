#!/usr/bin/env python3
"""Differential test vectors for yieldlab's protocol math (src/amm).

Writes tests/vectors/{v2,v3,stableswap}.jsonl, one case per line, which
`tests/amm_reference.rs` checks on every `cargo test`. Integers are decimal strings.

References:
* StableSwap: curvesim 0.5.0 (pip install curvesim==0.5.0), `CurvePool`, the Curve
  research team's integer port of the 3pool-era StableSwap contracts.
* Uniswap v2: the integer formulas of UniswapV2Library.getAmountOut / getAmountIn
  (v2-periphery), transcribed below; they are two lines each.
* Uniswap v3: TickMath.getSqrtRatioAtTick / getTickAtSqrtRatio (by bisection over the
  former), SqrtPriceMath.getAmount0Delta / getAmount1Delta and LiquidityAmounts
  (v3-core / v3-periphery), transcribed in exact integer arithmetic; the transcription
  is checked against the contracts' MIN_SQRT_RATIO and MAX_SQRT_RATIO constants.

Regenerate: python3 tools/reference/gen_vectors.py   (deterministic: fixed seeds)
"""
import json
import os
import random

from curvesim.pool.stableswap.pool import CurvePool

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "vectors")

# ---------------------------------------------------------------- Uniswap v2


def v2_amount_out(amount_in, reserve_in, reserve_out):
    amount_in_with_fee = amount_in * 997
    numerator = amount_in_with_fee * reserve_out
    denominator = reserve_in * 1000 + amount_in_with_fee
    return numerator // denominator


def v2_amount_in(amount_out, reserve_in, reserve_out):
    numerator = reserve_in * amount_out * 1000
    denominator = (reserve_out - amount_out) * 997
    return numerator // denominator + 1


def gen_v2(rng):
    cases = []
    for _ in range(300):
        r_in = rng.randrange(10**15, 10**30)
        r_out = rng.randrange(10**15, 10**30)
        a_in = rng.randrange(10**12, r_in)
        out = v2_amount_out(a_in, r_in, r_out)
        cases.append({"op": "amount_out", "reserve_in": str(r_in), "reserve_out": str(r_out),
                      "amount_in": str(a_in), "expected": str(out)})
        a_out = rng.randrange(10**12, r_out * 9 // 10)
        cases.append({"op": "amount_in", "reserve_in": str(r_in), "reserve_out": str(r_out),
                      "amount_out": str(a_out), "expected": str(v2_amount_in(a_out, r_in, r_out))})
    return cases

# ---------------------------------------------------------------- Uniswap v3

Q96 = 1 << 96
MAX_UINT256 = (1 << 256) - 1
MIN_TICK, MAX_TICK = -887272, 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
_TICK_FACTORS = [
    (0x2, 0xfff97272373d413259a46990580e213a), (0x4, 0xfff2e50f5f656932ef12357cf3c7fdcc),
    (0x8, 0xffe5caca7e10e4e61c3624eaa0941cd0), (0x10, 0xffcb9843d60f6159c9db58835c926644),
    (0x20, 0xff973b41fa98c081472e6896dfb254c0), (0x40, 0xff2ea16466c96a3843ec78b326b52861),
    (0x80, 0xfe5dee046a99a2a811c461f1969c3053), (0x100, 0xfcbe86c7900a88aedcffc83b479aa3a4),
    (0x200, 0xf987a7253ac413176f2b074cf7815e54), (0x400, 0xf3392b0822b70005940c7a398e4b70f3),
    (0x800, 0xe7159475a2c29b7443b29c7fa6e889d9), (0x1000, 0xd097f3bdfd2022b8845ad8f792aa5825),
    (0x2000, 0xa9f746462d870fdf8a65dc1f90e061e5), (0x4000, 0x70d869a156d2a1b890bb3df62baf32f7),
    (0x8000, 0x31be135f97d08fd981231505542fcfa6), (0x10000, 0x9aa508b5b7a84e1c677de54f3e99bc9),
    (0x20000, 0x5d6af8dedb81196699c329225ee604), (0x40000, 0x2216e584f5fa1ea926041bedfe98),
    (0x80000, 0x48a170391f7dc42444e8fa2),
]


def get_sqrt_ratio_at_tick(tick):
    abs_tick = abs(tick)
    assert abs_tick <= MAX_TICK
    ratio = 0xfffcb933bd6fad37aa2d162d1a594001 if abs_tick & 0x1 else 0x100000000000000000000000000000000
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = MAX_UINT256 // ratio
    return (ratio >> 32) + (0 if ratio % (1 << 32) == 0 else 1)


assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
assert get_sqrt_ratio_at_tick(0) == Q96


def get_tick_at_sqrt_ratio(sqrt_x96):
    """The greatest tick whose sqrt ratio is <= sqrt_x96 (the contract's definition)."""
    lo, hi = MIN_TICK, MAX_TICK
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if get_sqrt_ratio_at_tick(mid) <= sqrt_x96:
            lo = mid
        else:
            hi = mid - 1
    return lo


def mul_div(a, b, d):
    return a * b // d


def liquidity_for_amount0(sa, sb, amount0):
    if sa > sb:
        sa, sb = sb, sa
    intermediate = mul_div(sa, sb, Q96)
    return mul_div(amount0, intermediate, sb - sa)


def liquidity_for_amount1(sa, sb, amount1):
    if sa > sb:
        sa, sb = sb, sa
    return mul_div(amount1, Q96, sb - sa)


def liquidity_for_amounts(sp, sa, sb, amount0, amount1):
    if sp <= sa:
        return liquidity_for_amount0(sa, sb, amount0)
    if sp < sb:
        return min(liquidity_for_amount0(sp, sb, amount0), liquidity_for_amount1(sa, sp, amount1))
    return liquidity_for_amount1(sa, sb, amount1)


def amount0_for_liquidity(sa, sb, liq):
    return mul_div(liq << 96, sb - sa, sb) // sa


def amount1_for_liquidity(sa, sb, liq):
    return mul_div(liq, sb - sa, Q96)


def amounts_for_liquidity(sp, sa, sb, liq):
    if sp <= sa:
        return amount0_for_liquidity(sa, sb, liq), 0
    if sp < sb:
        return amount0_for_liquidity(sp, sb, liq), amount1_for_liquidity(sa, sp, liq)
    return 0, amount1_for_liquidity(sa, sb, liq)


def gen_v3(rng):
    cases = []
    for _ in range(200):
        t = rng.randrange(MIN_TICK, MAX_TICK + 1)
        cases.append({"op": "sqrt_at_tick", "tick": t, "expected": str(get_sqrt_ratio_at_tick(t))})
    for _ in range(200):
        # A sqrt price between ticks, as pools hold them.
        t = rng.randrange(-400000, 400000)
        lo, hi = get_sqrt_ratio_at_tick(t), get_sqrt_ratio_at_tick(t + 1)
        s = rng.randrange(lo, hi)
        cases.append({"op": "tick_at_sqrt", "sqrt_x96": str(s), "expected": get_tick_at_sqrt_ratio(s)})
    for _ in range(300):
        # Realistic ranges around realistic prices (USDC/WETH-like raw ticks and others).
        centre = rng.choice([200000, -200000, 0, 50000, -70000, 276000])
        ta = centre + rng.randrange(-20000, 20000)
        tb = ta + rng.randrange(1, 20000)
        tp = rng.randrange(ta - 5000, tb + 5000)
        sa, sb = get_sqrt_ratio_at_tick(ta), get_sqrt_ratio_at_tick(tb)
        sp = get_sqrt_ratio_at_tick(tp) + rng.randrange(0, 1000)
        liq = rng.randrange(10**15, 10**27)
        a0, a1 = amounts_for_liquidity(sp, sa, sb, liq)
        cases.append({"op": "amounts_for_liquidity", "sqrt_p": str(sp), "sqrt_a": str(sa),
                      "sqrt_b": str(sb), "liquidity": str(liq), "amount0": str(a0), "amount1": str(a1)})
        x0 = rng.randrange(10**15, 10**30)
        x1 = rng.randrange(10**15, 10**30)
        cases.append({"op": "liquidity_for_amounts", "sqrt_p": str(sp), "sqrt_a": str(sa),
                      "sqrt_b": str(sb), "amount0": str(x0), "amount1": str(x1),
                      "expected": str(liquidity_for_amounts(sp, sa, sb, x0, x1))})
    return cases

# ---------------------------------------------------------------- StableSwap


def gen_stableswap(rng):
    cases = []
    for k in range(240):
        n = 2 + k % 3
        amp = rng.choice([10, 50, 100, 200, 1000, 2000, 5000])
        fee = rng.choice([1000000, 4000000, 30000000])  # 0.01 %, 0.04 %, 0.3 % in 1e10
        admin_fee = rng.choice([0, 5000000000])
        base = rng.randrange(10**24, 10**27)
        # Balanced to 10x imbalanced pools.
        balances = [base * rng.randrange(100, 1000) // 300 for _ in range(n)]
        supply = sum(balances) * rng.randrange(95, 105) // 100
        state = {"n": n, "amp": amp, "fee": fee, "admin_fee": admin_fee,
                 "balances": [str(b) for b in balances], "supply": str(supply)}

        def pool():
            return CurvePool(amp, list(balances), n, fee=fee, admin_fee=admin_fee, tokens=supply)

        p = pool()
        cases.append({**state, "op": "d", "expected": str(p.D())})
        cases.append({**state, "op": "virtual_price", "expected": str(p.get_virtual_price())})
        i, j = rng.sample(range(n), 2)
        dx = balances[i] * rng.randrange(1, 3000) // 10000
        dy, dy_fee = p.exchange(i, j, dx)
        cases.append({**state, "op": "exchange", "i": i, "j": j, "dx": str(dx), "dy": str(dy),
                      "dy_fee": str(dy_fee), "balances_after": [str(b) for b in p.balances]})
        p = pool()
        amounts = [b * rng.randrange(0, 2000) // 10000 for b in balances]
        if sum(amounts) == 0:
            amounts[0] = balances[0] // 100
        minted = p.add_liquidity(amounts)
        cases.append({**state, "op": "add_liquidity", "amounts": [str(a) for a in amounts],
                      "minted": str(minted), "balances_after": [str(b) for b in p.balances]})
        p = pool()
        token_amount = supply * rng.randrange(1, 2000) // 10000
        i = rng.randrange(n)
        dy, dy_fee = p.calc_withdraw_one_coin(token_amount, i)
        cases.append({**state, "op": "remove_one_coin", "token_amount": str(token_amount), "i": i,
                      "dy": str(dy), "dy_fee": str(dy_fee)})
        p = pool()
        amounts = [b * rng.randrange(0, 1500) // 10000 for b in balances]
        if sum(amounts) == 0:
            amounts[0] = balances[0] // 100
        burned, _fees = p.remove_liquidity_imbalance(amounts)
        cases.append({**state, "op": "remove_imbalance", "amounts": [str(a) for a in amounts],
                      "burned": str(burned), "balances_after": [str(b) for b in p.balances]})
    return cases


def gen_sequence(rng):
    """One 3pool-sized pool through 300 real-sized operations; the state after each."""
    n = 3
    balances = [400_000_000 * 10**18, 350_000_000 * 10**18, 250_000_000 * 10**18]
    supply = sum(balances) * 98 // 100
    pool = CurvePool(2000, list(balances), n, fee=1000000, admin_fee=5000000000, tokens=supply)
    steps = []
    for k in range(300):
        op = rng.choice(["exchange", "exchange", "exchange", "add", "remove_one", "remove_imbalance"])
        if op == "exchange":
            i, j = rng.sample(range(n), 2)
            dx = pool.balances[i] * rng.randrange(1, 200) // 10000
            pool.exchange(i, j, dx)
            step = {"op": op, "i": i, "j": j, "dx": str(dx)}
        elif op == "add":
            amounts = [b * rng.randrange(0, 100) // 10000 for b in pool.balances]
            pool.add_liquidity(amounts)
            step = {"op": op, "amounts": [str(a) for a in amounts]}
        elif op == "remove_one":
            token_amount = pool.tokens * rng.randrange(1, 100) // 10000
            i = rng.randrange(n)
            pool.remove_liquidity_one_coin(token_amount, i)
            step = {"op": op, "token_amount": str(token_amount), "i": i}
        else:
            amounts = [b * rng.randrange(0, 80) // 10000 for b in pool.balances]
            pool.remove_liquidity_imbalance(amounts)
            step = {"op": op, "amounts": [str(a) for a in amounts]}
        step["virtual_price"] = str(pool.get_virtual_price())
        step["balances"] = [str(b) for b in pool.balances]
        step["supply"] = str(pool.tokens)
        steps.append(step)
    head = {"op": "start", "amp": 2000, "fee": 1000000, "admin_fee": 5000000000,
            "balances": [str(b) for b in balances], "supply": str(supply)}
    return [head] + steps


def write(name, cases):
    path = os.path.join(OUT, name)
    with open(path + ".tmp", "w") as f:
        for c in cases:
            f.write(json.dumps(c, sort_keys=True) + "\n")
    os.replace(path + ".tmp", path)
    print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("v2.jsonl", gen_v2(random.Random(2)))
    write("v3.jsonl", gen_v3(random.Random(3)))
    write("stableswap.jsonl", gen_stableswap(random.Random(4)))
    write("stableswap_sequence.jsonl", gen_sequence(random.Random(5)))
