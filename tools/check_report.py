#!/usr/bin/env python3
"""Reads a yieldlab report folder the way docs/outputs.md tells a notebook to, with
pandas and with polars, and checks what it reads. Usage: check_report.py DIR"""
import sys

import pandas as pd
import polars as pl

d = sys.argv[1]
summary = pd.read_csv(f"{d}/summary.csv", parse_dates=["start", "end"])
ts = pd.read_csv(f"{d}/timeseries.csv", parse_dates=["timestamp"])
equity = ts.pivot(index="timestamp", columns="run", values="value_usd")
attribution = pl.read_csv(f"{d}/attribution.csv")
events = pl.read_csv(f"{d}/events.csv", try_parse_dates=True)
ts_pq = pl.read_parquet(f"{d}/timeseries.parquet")
summary_pq = pl.read_parquet(f"{d}/summary.parquet")

runs = set(summary["run"])
assert len(runs) == len(summary) > 0, "one summary row per run"
assert set(equity.columns) == runs, "every run has a value series"
assert summary["final_value_usd"].dtype.kind == "f", "numbers read as numbers"
assert (summary["identity_error_usd"] < 1e-6 * summary["capital_usd"]).all(), "attribution closes"
# The attribution buckets (docs/accounting.md), in summary order.
buckets = [f"{b}_usd" for b in (
    "price_effect", "impermanent_loss", "fees", "rewards", "reward_price_change", "interest",
    "gas", "swap_costs", "vault_fees", "unreleased_profit", "event_losses")]
assert all(b in summary.columns for b in buckets), buckets
recon = summary["capital_usd"] + summary[buckets].sum(axis=1)
assert ((recon - summary["final_value_usd"]).abs() < 1e-3).all(), "value = capital + buckets"
assert attribution.height == 11 * len(runs)
# The exit: a liquidation value never above the mark value, never below zero (the
# portfolio pays its own gas).
liq = summary["liquidation_value_usd"].dropna()
assert len(liq) > 0 and (liq <= summary.loc[liq.index, "final_value_usd"] + 1e-6).all() and (liq >= 0).all()
assert (summary["skipped_actions"] >= 0).all() and summary["gas_paid_by"].eq("portfolio").all()
assert ts_pq.height == len(ts) and summary_pq.height == len(summary)
assert events.schema["timestamp"] == pl.Datetime("us", "UTC") or str(events.schema["timestamp"]).startswith("Datetime")
print(f"report {d}: {len(runs)} runs, {len(ts)} series rows, {events.height} events: pandas and polars read it")

# Default type inference gives floats for every money and ratio column, whatever the
# values (a column of zeros included): CSV cells always carry a decimal point.
ts_inferred = pl.read_csv(f"{d}/timeseries.csv")
money = [c for c in ts_inferred.columns if c.endswith("_usd")]
assert money and all(ts_inferred[c].dtype == pl.Float64 for c in money), ts_inferred.schema
usd_cols = [c for c in summary_pq.columns if c.endswith("_usd")]
assert all(summary_pq[c].dtype == pl.Float64 for c in usd_cols), summary_pq.schema
print("money and ratio columns read as Float64 from CSV (default inference) and Parquet")
