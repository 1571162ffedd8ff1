//! A Uniswap v3 pool replayed from its events in exact integers (`v3_exact`): swaps
//! step by step (to each initialised tick and each bitmap word boundary, the fee taken
//! per step), mints and burns updating ticks (liquidityGross/Net, feeGrowthOutside) and
//! positions (feeGrowthInsideLast, tokensOwed), feeGrowthGlobal per step.
//!
//! A swap event gives its amounts and the pool's post-state, not the caller's
//! `amountSpecified` or price limit. It is replayed as an exact input of the amount the
//! pool received, limited at the post-state's √price: the steps are the contract's
//! steps; an exact-input swap that ended inside a step paid that step's remainder as its
//! fee, which is what is left of the input once the steps are priced, and is added to
//! the last step. Each swap's post-state (√price, tick, liquidity) is checked; the first
//! mismatch stops the replay naming the block and log index.
//!
//! Data that starts without a tick map (an export of events only) is replayed learning
//! what the events reveal: a swap whose liquidity changes crossed initialised ticks; when
//! exactly one tick with an unknown liquidityNet can explain the change, its net is
//! solved for and the swap is replayed again with it, which must reproduce the event
//! exactly. A swap that crosses two or more unknown ticks cannot be solved: it is counted
//! as unresolved and the state is taken from its event.
//!
//! Every swap step is also kept as a segment (√price from, to, liquidity, fee, input
//! token), so the fees any hypothetical range would have earned can be summed exactly
//! (`range_fees`). No I/O here: events come from `data::events`.

use std::collections::BTreeMap;

use ruint::aliases::U256;

use super::v3_exact::{
    self as x, fee_growth_of, sqrt_ratio_at_tick, tick_at_sqrt_ratio, ExactError, MAX_TICK,
    MIN_TICK,
};

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    Swap,
    Mint,
    Burn,
    Collect,
}

/// One pool event, as on-chain integers.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub block: u64,
    /// Log index in the block, where the data has it (else the file order).
    pub log_index: u64,
    pub timestamp: i64,
    pub kind: EventKind,
    /// Signed token amounts from the pool's point of view (> 0 paid in).
    pub amount0: i128,
    pub amount1: i128,
    /// Swap: the post-swap √price (Q64.96), tick and active liquidity.
    pub sqrt_price_x96: Option<U256>,
    pub tick: Option<i32>,
    /// Swap: the post-swap active liquidity; mint/burn: the liquidity added/removed.
    pub liquidity: u128,
    pub tick_lower: Option<i32>,
    pub tick_upper: Option<i32>,
    /// Mint/burn: the position's owner (lower-case), where known.
    pub owner: String,
}

/// A tick's state. `net_known` is false for a tick the data never revealed in full
/// (its liquidityNet then holds only the changes seen since the replay started).
#[derive(Debug, Clone, PartialEq)]
pub struct TickState {
    pub liquidity_gross: u128,
    pub liquidity_net: i128,
    pub fee_growth_outside: [U256; 2],
    pub net_known: bool,
}

/// A position's state (`positions(key)`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PositionState {
    pub liquidity: u128,
    pub fee_growth_inside_last: [U256; 2],
    pub tokens_owed: [u128; 2],
}

/// One step of a swap, kept for exact range fees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub timestamp: i64,
    pub sqrt_from: U256,
    pub sqrt_to: U256,
    pub liquidity: u128,
    /// Fee paid in the input token (raw units).
    pub fee: U256,
    /// The input token: 0 when token0 was paid in (the price falls).
    pub token_in: u8,
}

/// Why a replay stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("block {block}, log {log_index}: {message}")]
pub struct ReplayError {
    pub block: u64,
    pub log_index: u64,
    pub message: String,
}

/// A pool being replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub sqrt_price_x96: U256,
    pub tick: i32,
    pub liquidity: u128,
    pub fee_growth_global: [U256; 2],
    pub fee_pips: u32,
    pub tick_spacing: i32,
    pub ticks: BTreeMap<i32, TickState>,
    pub positions: BTreeMap<(String, i32, i32), PositionState>,
    /// Whether `ticks` holds every initialised tick (a snapshot), or only what the
    /// events revealed (learning mode).
    pub complete_tick_map: bool,
    pub segments: Vec<Segment>,
    pub keep_segments: bool,
    /// Counts: swaps replayed exactly, swaps whose crossed tick was learned, swaps that
    /// could not be solved (state taken from the event).
    pub swaps_exact: u64,
    pub swaps_learned: u64,
    pub swaps_unresolved: u64,
}

fn e(ev: &Event, message: impl Into<String>) -> ReplayError {
    ReplayError {
        block: ev.block,
        log_index: ev.log_index,
        message: message.into(),
    }
}

/// What a swap event states: its post-state, its direction and its amounts.
struct SwapEvent {
    post_sqrt: U256,
    post_tick: i32,
    zero_for_one: bool,
    amount_in: U256,
    want_out: U256,
}

/// A swap event's fields, checked: a post-state, one token paid in, the other out.
fn swap_event(ev: &Event) -> Result<SwapEvent, ReplayError> {
    let post_sqrt = ev
        .sqrt_price_x96
        .ok_or_else(|| e(ev, "a swap without sqrt_price_x96"))?;
    let post_tick = ev.tick.ok_or_else(|| e(ev, "a swap without tick"))?;
    let zero_for_one = ev.amount0 > 0;
    let paid = if zero_for_one { ev.amount0 } else { ev.amount1 };
    let received = if zero_for_one { ev.amount1 } else { ev.amount0 };
    if paid <= 0 || received > 0 {
        return Err(e(
            ev,
            format!(
                "a swap must pay one token in and take the other out (amount0 {}, amount1 {})",
                ev.amount0, ev.amount1
            ),
        ));
    }
    let amount_in = U256::from(paid as u128);
    let want_out = U256::from(received.unsigned_abs());
    Ok(SwapEvent {
        post_sqrt,
        post_tick,
        zero_for_one,
        amount_in,
        want_out,
    })
}

fn add_delta(l: u128, d: i128) -> Option<u128> {
    if d >= 0 {
        l.checked_add(d as u128)
    } else {
        l.checked_sub(d.unsigned_abs())
    }
}

/// The result of replaying one swap's steps from a state.
struct SwapRun {
    sqrt: U256,
    tick: i32,
    liquidity: u128,
    fee_growth: U256,
    amount_out: U256,
    /// Input priced by the steps (amounts in plus fees).
    spent: U256,
    /// (tick, new fee_growth_outside of the input token, of the other) for each crossing.
    crossed: Vec<i32>,
    steps: Vec<Segment>,
}

impl Pool {
    pub fn new(
        sqrt_price_x96: U256,
        liquidity: u128,
        fee_growth_global: [U256; 2],
        fee_pips: u32,
        tick_spacing: i32,
    ) -> Result<Pool, ExactError> {
        if tick_spacing <= 0 {
            return Err(ExactError(format!(
                "tick spacing {tick_spacing} must be > 0"
            )));
        }
        Ok(Pool {
            tick: tick_at_sqrt_ratio(sqrt_price_x96)?,
            sqrt_price_x96,
            liquidity,
            fee_growth_global,
            fee_pips,
            tick_spacing,
            ticks: BTreeMap::new(),
            positions: BTreeMap::new(),
            complete_tick_map: false,
            segments: Vec::new(),
            keep_segments: false,
            swaps_exact: 0,
            swaps_learned: 0,
            swaps_unresolved: 0,
        })
    }

    /// `TickBitmap.nextInitializedTickWithinOneWord`: the next tick a swap step stops at
    /// and whether it is initialised.
    fn next_tick(&self, tick: i32, lte: bool) -> (i32, bool) {
        let s = self.tick_spacing;
        let mut compressed = tick / s;
        if tick < 0 && tick % s != 0 {
            compressed -= 1;
        }
        if lte {
            let word_start = (compressed >> 8) << 8;
            let found = self
                .ticks
                .range(word_start * s..=compressed * s)
                .next_back()
                .map(|(t, _)| *t);
            match found {
                Some(t) => (t, true),
                None => (word_start * s, false),
            }
        } else {
            let c = compressed + 1;
            let word_end = ((c >> 8) << 8) + 255;
            let found = self
                .ticks
                .range(c * s..=word_end * s)
                .next()
                .map(|(t, _)| *t);
            match found {
                Some(t) => (t, true),
                None => (word_end * s, false),
            }
        }
    }

    /// The swap's steps from the current state towards `limit`, spending at most
    /// `amount_in` (exact input). Pure: the pool is not changed.
    fn run_swap(
        &self,
        zero_for_one: bool,
        amount_in: U256,
        limit: U256,
        extra_net: Option<(i32, i128)>,
        ts: i64,
    ) -> Result<SwapRun, ExactError> {
        let mut remaining = amount_in;
        let mut sqrt = self.sqrt_price_x96;
        let mut tick = self.tick;
        let mut liquidity = self.liquidity;
        let token = if zero_for_one { 0 } else { 1 };
        let mut fg = self.fee_growth_global[token];
        let mut out = U256::ZERO;
        let mut spent = U256::ZERO;
        let mut crossed = Vec::new();
        let mut steps = Vec::new();
        let mut guard = 0u32;
        while !remaining.is_zero() && sqrt != limit {
            guard += 1;
            if guard > 100_000 {
                return Err(ExactError("a swap crossed more than 100,000 steps".into()));
            }
            let (next, initialized) = self.next_step_tick(tick, zero_for_one, extra_net);
            let next = next.clamp(MIN_TICK, MAX_TICK);
            let sqrt_next = sqrt_ratio_at_tick(next)?;
            let target =
                if (zero_for_one && sqrt_next < limit) || (!zero_for_one && sqrt_next > limit) {
                    limit
                } else {
                    sqrt_next
                };
            let step = x::swap_step(sqrt, target, liquidity, remaining, true, self.fee_pips)?;
            // An exact input never prices more than it has; saturating, a mismatch ends
            // the loop and the post-state check reports it.
            remaining = remaining.saturating_sub(step.amount_in + step.fee);
            spent += step.amount_in + step.fee;
            out += step.amount_out;
            fg = fg.wrapping_add(fee_growth_of(step.fee, liquidity)?);
            steps.push(Segment {
                timestamp: ts,
                sqrt_from: sqrt,
                sqrt_to: step.sqrt_next,
                liquidity,
                fee: step.fee,
                token_in: token as u8,
            });
            sqrt = step.sqrt_next;
            if sqrt == sqrt_next {
                if initialized {
                    liquidity = self.cross(next, zero_for_one, extra_net, liquidity)?;
                    crossed.push(next);
                }
                tick = if zero_for_one { next - 1 } else { next };
            } else if sqrt != steps.last().map(|s| s.sqrt_from).unwrap_or(sqrt) {
                tick = tick_at_sqrt_ratio(sqrt)?;
            }
        }
        Ok(SwapRun {
            sqrt,
            tick,
            liquidity,
            fee_growth: fg,
            amount_out: out,
            spent,
            crossed,
            steps,
        })
    }

    /// The next tick a swap step stops at: the next initialised tick, or `extra_net`'s
    /// tick (one being tried as initialised) where it comes first; and whether it is
    /// initialised.
    fn next_step_tick(
        &self,
        tick: i32,
        zero_for_one: bool,
        extra_net: Option<(i32, i128)>,
    ) -> (i32, bool) {
        let (mut next, mut initialized) = self.next_tick(tick, zero_for_one);
        if let Some((t, _)) = extra_net {
            if (zero_for_one && t <= tick && t > next) || (!zero_for_one && t > tick && t < next) {
                next = t;
                initialized = true;
            } else if t == next {
                initialized = true;
            }
        }
        (next, initialized)
    }

    /// The liquidity after crossing initialised tick `next`: its liquidityNet (the tried
    /// one for `extra_net`'s tick), negated going down. Without a net (learning mode: a
    /// tick the data has not revealed) nothing is applied; `swap` solves for it when the
    /// liquidity does not match.
    fn cross(
        &self,
        next: i32,
        zero_for_one: bool,
        extra_net: Option<(i32, i128)>,
        liquidity: u128,
    ) -> Result<u128, ExactError> {
        let net = match (extra_net, self.ticks.get(&next)) {
            (Some((t, n)), _) if t == next => Some(n),
            (_, Some(state)) if state.net_known => Some(state.liquidity_net),
            _ => None,
        };
        let Some(n) = net else {
            return Ok(liquidity);
        };
        let n = if zero_for_one {
            n.checked_neg()
        } else {
            Some(n)
        }
        .ok_or_else(|| ExactError(format!("tick {next}: liquidityNet out of range")))?;
        add_delta(liquidity, n)
            .ok_or_else(|| ExactError(format!("crossing tick {next} makes liquidity negative")))
    }

    /// Applies one event. Swaps are checked against their post-state.
    pub fn apply(&mut self, ev: &Event) -> Result<(), ReplayError> {
        match ev.kind {
            EventKind::Swap => self.swap(ev),
            EventKind::Mint | EventKind::Burn => self.modify(ev),
            EventKind::Collect => Ok(()),
        }
    }

    fn swap(&mut self, ev: &Event) -> Result<(), ReplayError> {
        let SwapEvent {
            post_sqrt,
            post_tick,
            zero_for_one,
            amount_in,
            want_out,
        } = swap_event(ev)?;
        let ex = |r: ExactError| e(ev, r.0);
        let mut run = self
            .run_swap(zero_for_one, amount_in, post_sqrt, None, ev.timestamp)
            .map_err(ex)?;
        let matches = |r: &SwapRun| {
            r.sqrt == post_sqrt && r.liquidity == ev.liquidity && r.amount_out == want_out
        };
        let mut learned: Option<(i32, i128)> = None;
        if !matches(&run) && !self.complete_tick_map {
            if let Some((r, tick_net)) = self.solve_tick(
                ev,
                zero_for_one,
                amount_in,
                (post_sqrt, post_tick),
                &matches,
            ) {
                learned = Some(tick_net);
                run = r;
            }
        }
        if !matches(&run) {
            if self.complete_tick_map {
                return Err(e(ev, format!(
                    "replayed swap ends at sqrt_price_x96 {}, liquidity {}, amount out {}; the event says {}, {}, {}",
                    run.sqrt, run.liquidity, run.amount_out, post_sqrt, ev.liquidity, want_out
                )));
            }
            // Unresolvable without the tick map: take the event's state; the fee of the
            // swap is priced from the steps as replayed (approximate).
            self.swaps_unresolved += 1;
            self.finish_swap(run, ev, zero_for_one, amount_in, post_sqrt, post_tick, true);
            return Ok(());
        }
        if run.tick != post_tick {
            return Err(e(
                ev,
                format!(
                    "replayed swap ends at tick {}, the event says {post_tick}",
                    run.tick
                ),
            ));
        }
        if let Some((t, net)) = learned {
            self.learn_tick(t, net);
        } else {
            self.swaps_exact += 1;
        }
        self.finish_swap(
            run,
            ev,
            zero_for_one,
            amount_in,
            post_sqrt,
            post_tick,
            false,
        );
        Ok(())
    }

    /// A tick's liquidityNet solved from a swap (`solve_tick`): known from now on.
    fn learn_tick(&mut self, t: i32, net: i128) {
        let entry = self.ticks.entry(t).or_insert(TickState {
            liquidity_gross: 0,
            liquidity_net: 0,
            fee_growth_outside: [U256::ZERO; 2],
            net_known: true,
        });
        entry.liquidity_net = net;
        entry.net_known = true;
        self.swaps_learned += 1;
    }

    /// A swap that does not replay against the known ticks crossed a tick whose
    /// liquidityNet the data never showed. The ticks between its start and end explain
    /// part of the change in liquidity with their known nets; one tick must explain the
    /// rest: the one tick of unknown net in the range if there is one, else a tick the
    /// data never saw. Returns the replay that matches the event and the tick's net.
    fn solve_tick(
        &self,
        ev: &Event,
        zero_for_one: bool,
        amount_in: U256,
        (post_sqrt, post_tick): (U256, i32),
        matches: &dyn Fn(&SwapRun) -> bool,
    ) -> Option<(SwapRun, (i32, i128))> {
        let (lo, hi) = if zero_for_one {
            (post_tick + 1, self.tick)
        } else {
            (self.tick + 1, post_tick)
        };
        let mut known = Some(0i128);
        let mut unknown_ticks = Vec::new();
        if lo <= hi {
            for (t, st) in self.ticks.range(lo..=hi) {
                if st.net_known {
                    let n = if zero_for_one {
                        st.liquidity_net.checked_neg()
                    } else {
                        Some(st.liquidity_net)
                    };
                    known = known.zip(n).and_then(|(a, b)| a.checked_add(b));
                } else {
                    unknown_ticks.push(*t);
                }
            }
        }
        // Liquidities beyond int128 cannot be solved for: the swap stays unresolved.
        let required = i128::try_from(ev.liquidity)
            .ok()
            .zip(i128::try_from(self.liquidity).ok())
            .zip(known)
            .and_then(|((post, pre), k)| post.checked_sub(pre)?.checked_sub(k));
        let net = required.and_then(|r| {
            if zero_for_one {
                r.checked_neg()
            } else {
                Some(r)
            }
        });
        let candidates: Vec<i32> = match unknown_ticks.len() {
            _ if net.is_none() => Vec::new(),
            0 => {
                let s = self.tick_spacing;
                let mut c = Vec::new();
                if lo <= hi {
                    let mut t = lo.div_euclid(s) * s + if lo.rem_euclid(s) == 0 { 0 } else { s };
                    while t <= hi && c.len() < 512 {
                        if !self.ticks.contains_key(&t) {
                            c.push(t);
                        }
                        t += s;
                    }
                }
                c
            }
            1 => unknown_ticks,
            _ => Vec::new(),
        };
        let net = net.unwrap_or(0);
        for t in candidates {
            let Ok(r) = self.run_swap(
                zero_for_one,
                amount_in,
                post_sqrt,
                Some((t, net)),
                ev.timestamp,
            ) else {
                continue;
            };
            if matches(&r) {
                return Some((r, (t, net)));
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_swap(
        &mut self,
        mut run: SwapRun,
        ev: &Event,
        zero_for_one: bool,
        amount_in: U256,
        post_sqrt: U256,
        post_tick: i32,
        from_event: bool,
    ) {
        let token = if zero_for_one { 0 } else { 1 };
        // What the steps did not price is the last step's fee (an exact input that ended
        // inside a step pays the remainder).
        if amount_in > run.spent {
            let left = amount_in - run.spent;
            match run.steps.last_mut() {
                Some(last) => {
                    let before = fee_growth_of(last.fee, last.liquidity).unwrap_or_default();
                    last.fee += left;
                    let after = fee_growth_of(last.fee, last.liquidity).unwrap_or_default();
                    run.fee_growth = run.fee_growth.wrapping_add(after.wrapping_sub(before));
                }
                None => {
                    let seg = Segment {
                        timestamp: ev.timestamp,
                        sqrt_from: self.sqrt_price_x96,
                        sqrt_to: self.sqrt_price_x96,
                        liquidity: self.liquidity,
                        fee: left,
                        token_in: token as u8,
                    };
                    run.fee_growth = run
                        .fee_growth
                        .wrapping_add(fee_growth_of(left, self.liquidity).unwrap_or_default());
                    run.steps.push(seg);
                }
            }
        }
        // Crossed ticks flip their outside fee growth (both tokens, at the crossing's
        // global values: the input token's grows during the swap; tracked per step).
        let mut fg_running = self.fee_growth_global[token];
        let mut k = 0;
        for s in &run.steps {
            fg_running =
                fg_running.wrapping_add(fee_growth_of(s.fee, s.liquidity).unwrap_or_default());
            let ends_on_tick = run.crossed.get(k).copied().filter(|t| {
                sqrt_ratio_at_tick(*t)
                    .map(|q| q == s.sqrt_to)
                    .unwrap_or(false)
            });
            if let Some(t) = ends_on_tick {
                if let Some(ts) = self.ticks.get_mut(&t) {
                    let mut g = self.fee_growth_global;
                    g[token] = fg_running;
                    for (out, global) in ts.fee_growth_outside.iter_mut().zip(g) {
                        *out = global.wrapping_sub(*out);
                    }
                }
                k += 1;
            }
        }
        self.fee_growth_global[token] = run.fee_growth;
        if self.keep_segments {
            self.segments.extend(run.steps.iter().copied());
        }
        self.sqrt_price_x96 = post_sqrt;
        self.tick = if from_event { post_tick } else { run.tick };
        self.liquidity = if from_event {
            ev.liquidity
        } else {
            run.liquidity
        };
    }

    /// Fee growth inside `[lower, upper)` (`Tick.getFeeGrowthInside`).
    pub fn fee_growth_inside(&self, lower: i32, upper: i32) -> [U256; 2] {
        let zero = [U256::ZERO; 2];
        let lo = self
            .ticks
            .get(&lower)
            .map(|t| t.fee_growth_outside)
            .unwrap_or(zero);
        let hi = self
            .ticks
            .get(&upper)
            .map(|t| t.fee_growth_outside)
            .unwrap_or(zero);
        let mut out = zero;
        for j in 0..2 {
            let g = self.fee_growth_global[j];
            let below = if self.tick >= lower {
                lo[j]
            } else {
                g.wrapping_sub(lo[j])
            };
            let above = if self.tick < upper {
                hi[j]
            } else {
                g.wrapping_sub(hi[j])
            };
            out[j] = g.wrapping_sub(below).wrapping_sub(above);
        }
        out
    }

    fn update_tick(&mut self, tick: i32, delta: i128, upper: bool) -> Result<(), String> {
        let (cur, g) = (self.tick, self.fee_growth_global);
        let complete = self.complete_tick_map;
        let t = self.ticks.entry(tick).or_insert_with(|| TickState {
            liquidity_gross: 0,
            liquidity_net: 0,
            fee_growth_outside: if tick <= cur { g } else { [U256::ZERO; 2] },
            net_known: complete,
        });
        let before = t.liquidity_gross;
        let after = add_delta(before, delta);
        match after {
            Some(a) => t.liquidity_gross = a,
            // Learning mode: the tick held liquidity from before the data started.
            None if !complete => t.liquidity_gross = 0,
            None => return Err(format!("tick {tick}: liquidityGross would go below zero")),
        }
        if before == 0 && complete && delta > 0 {
            t.fee_growth_outside = if tick <= cur { g } else { [U256::ZERO; 2] };
        }
        t.liquidity_net = if upper {
            t.liquidity_net.checked_sub(delta)
        } else {
            t.liquidity_net.checked_add(delta)
        }
        .ok_or_else(|| format!("tick {tick}: liquidityNet overflows int128"))?;
        if complete && t.liquidity_gross == 0 {
            self.ticks.remove(&tick);
        }
        Ok(())
    }

    fn modify(&mut self, ev: &Event) -> Result<(), ReplayError> {
        let (Some(lower), Some(upper)) = (ev.tick_lower, ev.tick_upper) else {
            return Err(e(ev, "a mint or burn without tick_lower and tick_upper"));
        };
        if lower >= upper || lower < MIN_TICK || upper > MAX_TICK {
            return Err(e(
                ev,
                format!("range [{lower}, {upper}) is not a valid tick range"),
            ));
        }
        let l = i128::try_from(ev.liquidity).map_err(|_| e(ev, "liquidity exceeds int128"))?;
        let delta = if ev.kind == EventKind::Mint { l } else { -l };
        if delta != 0 {
            self.update_tick(lower, delta, false)
                .map_err(|m| e(ev, m))?;
            self.update_tick(upper, delta, true).map_err(|m| e(ev, m))?;
        }
        let inside = self.fee_growth_inside(lower, upper);
        let key = (ev.owner.clone(), lower, upper);
        let pos = self.positions.entry(key).or_default();
        for (j, now) in inside.iter().enumerate() {
            let d = now.wrapping_sub(pos.fee_growth_inside_last[j]);
            let owed =
                x::mul_div(d, U256::from(pos.liquidity), super::v3_exact::Q128).unwrap_or_default();
            pos.tokens_owed[j] = pos.tokens_owed[j].wrapping_add(owed.wrapping_to::<u128>());
        }
        pos.fee_growth_inside_last = inside;
        pos.liquidity = add_delta(pos.liquidity, delta).unwrap_or(0);
        if lower <= self.tick && self.tick < upper && delta != 0 {
            self.liquidity = add_delta(self.liquidity, delta)
                .ok_or_else(|| e(ev, "active liquidity would go below zero"))?;
        }
        Ok(())
    }
}

/// The fees (raw units of token0 and token1) one unit of raw liquidity in
/// `[sqrt_lower, sqrt_upper)` (Q64.96 as f64) earned over `segments`: each step's fee
/// per unit of active liquidity, times the share of the step's input paid while the
/// price was inside the range (input is linear in √P for token1, in 1/√P for token0).
pub fn range_fees(segments: &[Segment], sqrt_lower: f64, sqrt_upper: f64) -> [f64; 2] {
    range_fees_of(segments, sqrt_lower, sqrt_upper, None)
}

/// As `range_fees`, for `l_ours` of liquidity that joins each step's active liquidity
/// (its share L_ours / (L_step + L_ours)); `None` is a vanishing unit position.
pub fn range_fees_of(
    segments: &[Segment],
    sqrt_lower: f64,
    sqrt_upper: f64,
    l_ours: Option<f64>,
) -> [f64; 2] {
    let mut out = [0.0; 2];
    for s in segments {
        if s.liquidity == 0 {
            continue;
        }
        let (a, b) = (x::to_f64(s.sqrt_from), x::to_f64(s.sqrt_to));
        let frac = if a == b {
            if a >= sqrt_lower && a < sqrt_upper {
                1.0
            } else {
                0.0
            }
        } else {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let (cl, ch) = (lo.max(sqrt_lower), hi.min(sqrt_upper));
            if ch <= cl {
                0.0
            } else if s.token_in == 1 {
                (ch - cl) / (hi - lo)
            } else {
                // (1/cl − 1/ch) / (1/lo − 1/hi), written so that nearby prices do not
                // cancel in floating point.
                (ch - cl) / (hi - lo) * ((lo / cl) * (hi / ch))
            }
        };
        let share = match l_ours {
            Some(l) => l / (s.liquidity as f64 + l),
            None => 1.0 / s.liquidity as f64,
        };
        out[s.token_in as usize] += x::to_f64(s.fee) * frac * share;
    }
    out
}
