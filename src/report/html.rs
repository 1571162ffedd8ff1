//! `report.html` (one self-contained file: inline SVG charts, a sortable summary table,
//! each strategy's parameters, the data used and the assumptions; no network needed)
//! and `report.md` (the same tables, charts linked as PNG).

use std::fmt::Write as _;

use super::charts::Chart;
use super::{summary_columns, summary_fixed};
use crate::batch::RunOutput;
use crate::costs::ActionKind;
use crate::units::format_duration;

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Columns shown in the report's main table (all are in summary.csv).
const SHOWN: [&str; 18] = [
    "run",
    "kind",
    "start",
    "end",
    "final_value_usd",
    "apy",
    "hodl_apy",
    "vs_hodl_usd",
    "lend_baseline_apy",
    "liquidation_apy",
    "max_drawdown",
    "sharpe",
    "impermanent_loss_usd",
    "fees_usd",
    "rewards_usd",
    "gas_usd",
    "swap_costs_usd",
    "vault_fees_usd",
];

fn table_rows(outputs: &[RunOutput]) -> (Vec<String>, Vec<Vec<String>>) {
    let cols = summary_columns();
    let idx: Vec<usize> = SHOWN
        .iter()
        .filter_map(|c| cols.iter().position(|x| x == c))
        .collect();
    let rows = outputs
        .iter()
        .map(|o| {
            let r = summary_fixed(o);
            idx.iter().map(|i| r[*i].clone()).collect()
        })
        .collect();
    (SHOWN.iter().map(|s| s.to_string()).collect(), rows)
}

fn pretty(cell: &str, col: &str) -> String {
    match cell.parse::<f64>() {
        Ok(x) if col.ends_with("_usd") => format!("{x:.2}"),
        Ok(x)
            if matches!(
                col,
                "apy" | "hodl_apy" | "lend_baseline_apy" | "liquidation_apy" | "max_drawdown"
            ) =>
        {
            format!("{:.2} %", 100.0 * x)
        }
        Ok(x) if col == "sharpe" => format!("{x:.2}"),
        _ => cell.to_string(),
    }
}

fn params_toml(o: &RunOutput) -> String {
    toml::to_string(&o.spec.params).unwrap_or_default()
}

fn assumptions(o: &RunOutput) -> Vec<String> {
    let c = &o.spec.config;
    let mut v = Vec::new();
    let units: Vec<String> = ActionKind::ALL
        .iter()
        .map(|k| format!("{} {:.0}", k.name(), c.gas.units(*k)))
        .collect();
    v.push(format!("gas units per action: {}", units.join(", ")));
    if let Some(g) = c.gas.gas_price_gwei {
        v.push(format!("constant gas price {g} gwei (overrides the data)"));
    }
    // Gas pricing of the chains the run acts on: the data's series where it has one,
    // else the preset's constants.
    for chain in &o.chains {
        if let Some(p) = c.gas.preset(chain) {
            v.push(format!(
                "{chain}: native {}, fallback gas {} gwei, fallback native price ${}, L1 data fee ${}",
                p.native_asset, p.gas_price_gwei, p.native_price_usd, p.l1_data_fee_usd
            ));
        }
    }
    v.push(format!(
        "reward swaps: a ${:.0} constant-product pool at {:.2} % fee ({}); bridge fee {:.3} %",
        c.reward_swap.depth_usd,
        100.0 * c.reward_swap.fee,
        if c.reward_swap_stated {
            "stated in the strategy file; also prices swaps through pools without depth data"
        } else {
            "the default"
        },
        100.0 * c.bridge_fee
    ));
    v.push(match c.gas.paid_by {
        crate::costs::GasPayer::Portfolio => "gas paid by the portfolio: actions it cannot pay are skipped (events.csv `skipped`), the value never goes below 0".to_string(),
        crate::costs::GasPayer::External => format!(
            "gas paid by an external budget (${:.2} over the run): the value series and metrics are the portfolio less that spending",
            o.result.external_gas
        ),
    });
    match &o.lend_baseline {
        Ok(b) => v.push(format!(
            "lending baseline: the capital supplied to '{}' at its supply APR over the same period (no gas) ends at ${:.2}",
            b.market, b.final_value
        )),
        Err(m) => v.push(format!("no lending baseline: {m}")),
    }
    match &o.result.exit {
        Ok(e) => v.push(format!(
            "liquidation value: closing at the end costs ${:.2} of gas and ${:.2} of swaps ({} token(s) not within 1 % of $1 swapped to USD through their pools' depth)",
            e.gas, e.swaps, e.swapped
        )),
        Err(m) => v.push(format!("liquidation value not priced: {m}")),
    }
    let f = c.vault_fees;
    if f.performance_fee + f.call_fee + f.management_fee + f.withdrawal_fee > 0.0 {
        v.push(format!(
            "vault fees: performance {:.1} %, call {:.1} %, management {:.1} %/yr, withdrawal {:.2} %, profit unlock {}; other depositors ${:.0}",
            100.0 * f.performance_fee,
            100.0 * f.call_fee,
            100.0 * f.management_fee,
            100.0 * f.withdrawal_fee,
            format_duration(f.profit_unlock_secs),
            c.vault_others_usd
        ));
    }
    for f in &o.result.fee_models {
        let kind = f.kind;
        let how = if f.forced {
            "stated in the strategy file"
        } else {
            "picked from the data"
        };
        let bias = crate::fees::FeeModel::ALL
            .iter()
            .find(|m| m.name() == f.model)
            .map(|m| format!(" ({})", m.bias(kind)))
            .unwrap_or_else(|| " (the pool's published APY series, diluted by our capital)".into());
        let steps = if f.steps.len() > 1 {
            format!(
                "; steps per model (fallback where data was missing): {}",
                f.steps
                    .iter()
                    .map(|(m, n)| format!("{m} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        };
        v.push(format!(
            "fees of {}: {} model, {how}{bias}{steps}",
            f.pool, f.model
        ));
        if !f.price_source.is_empty() {
            v.push(format!(
                "exposure of {} (a pool the data knows by its yields): {}",
                f.pool, f.price_source
            ));
        }
    }
    if !o.align.outliers.is_empty() {
        let what = if o.align.outliers_dropped > 0 {
            "dropped (treated as missing: levels carry the previous value)"
        } else {
            "kept as they are"
        };
        v.push(format!(
            "data outliers {what} by the stated policy: {}",
            o.align.outliers.join("; ")
        ));
    }
    for (pool, x) in &o.spec.assume.pool_tvl_usd {
        v.push(format!("assumed TVL of {pool}: ${x:.0}"));
    }
    for (pool, x) in &o.spec.assume.amplification {
        v.push(format!("assumed amplification of {pool}: {x}"));
    }
    for (pool, x) in &o.spec.assume.fee {
        v.push(format!("assumed fee of {pool}: {:.3} %", 100.0 * x));
    }
    for (asset, x) in &o.spec.assume.price_usd {
        v.push(format!("assumed price of {asset}: ${x}"));
    }
    for e in &o.spec.config.events {
        v.push(format!(
            "stress event: {}",
            serde_json::to_string(e).unwrap_or_default()
        ));
    }
    v
}

const SORT_JS: &str = r#"
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var rows = Array.from(body.rows), asc = th.dataset.asc !== '1';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll('th').forEach(function (h) { h.dataset.asc = ''; });
    th.dataset.asc = asc ? '1' : '0';
  });
});
"#;

pub fn html(outputs: &[RunOutput], charts: &[Chart]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>yieldlab comparison</title>\n<style>\
body{{font-family:sans-serif;margin:2em;color:#222;max-width:1250px}}table{{border-collapse:collapse;font-size:13px}}\
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:right}}th{{background:#f0f0f0;cursor:pointer}}td:first-child,td:nth-child(2){{text-align:left}}\
figure{{margin:1.5em 0}}figcaption{{font-weight:bold}}pre{{background:#f7f7f7;padding:8px}}svg{{max-width:100%;height:auto}}</style></head><body>\n"
    );
    let _ = writeln!(
        h,
        "<h1>yieldlab: {} strategies compared</h1>",
        outputs.len()
    );
    let _ = writeln!(
        h,
        "<p>Returns are net of gas, swap costs, vault fees and impermanent loss. APY is compounded (CAGR, 365-day years); every figure is in <code>summary.csv</code> beside this file. Click a column to sort.</p>"
    );
    let (cols, rows) = table_rows(outputs);
    let _ = writeln!(
        h,
        "<h2>Summary</h2>\n<table class=\"sortable\" id=\"summary\"><thead><tr>"
    );
    for c in &cols {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for r in &rows {
        let _ = write!(h, "<tr>");
        for (cell, col) in r.iter().zip(&cols) {
            let _ = write!(
                h,
                "<td data-v=\"{}\">{}</td>",
                esc(cell),
                esc(&pretty(cell, col))
            );
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
    let _ = writeln!(h, "<h2>Charts</h2>");
    for c in charts {
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\"><figcaption>{}</figcaption>\n{}\n</figure>",
            esc(&c.name),
            esc(&c.title),
            c.svg
        );
    }
    let _ = writeln!(h, "<h2>Strategies</h2>");
    for o in outputs {
        let g = o.result.grid;
        let _ = writeln!(h, "<h3 id=\"run-{0}\">{0}</h3>", esc(&o.spec.name));
        let _ = writeln!(
            h,
            "<p>file <code>{}</code>; capital ${:.0}; {} to {} every {} ({} steps)</p>",
            esc(&o.spec.path.display().to_string()),
            o.spec.config.capital_usd,
            crate::units::format_ts(g.start),
            crate::units::format_ts(g.end()),
            format_duration(g.step),
            g.len()
        );
        let _ = writeln!(h, "<pre>{}</pre>", esc(&params_toml(o)));
        let _ = writeln!(
            h,
            "<p><b>Data</b>: dataset <code>{}</code>; files: {}; series: {}</p>",
            esc(&o.dataset),
            esc(&o.data_files.join(", ")),
            esc(&o.series.join(", "))
        );
        if !o.align.dropped.is_empty() {
            let _ = writeln!(
                h,
                "<p>Alignment notes: {}</p>",
                esc(&o.align.dropped.join("; "))
            );
        }
        let _ = writeln!(h, "<p><b>Assumptions</b>:</p><ul>");
        for a in assumptions(o) {
            let _ = writeln!(h, "<li>{}</li>", esc(&a));
        }
        let _ = writeln!(h, "</ul>");
    }
    let _ = writeln!(h, "<script>{SORT_JS}</script>\n</body></html>");
    h
}

pub fn markdown(outputs: &[RunOutput], charts: &[Chart]) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# yieldlab: {} strategies compared\n", outputs.len());
    let _ = writeln!(m, "Returns are net of gas, swap costs, vault fees and impermanent loss; APY is compounded (365-day years). All figures: `summary.csv`.\n");
    let (cols, rows) = table_rows(outputs);
    let _ = writeln!(m, "| {} |", cols.join(" | "));
    let _ = writeln!(
        m,
        "|{}|",
        cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in &rows {
        let cells: Vec<String> = r.iter().zip(&cols).map(|(c, col)| pretty(c, col)).collect();
        let _ = writeln!(m, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(m, "\n## Charts\n");
    for c in charts {
        let _ = writeln!(m, "![{}](charts/{}.png)\n", c.title, c.name);
    }
    let _ = writeln!(m, "## Strategies\n");
    for o in outputs {
        let _ = writeln!(m, "### {}\n\n```toml\n{}```\n", o.spec.name, params_toml(o));
        let _ = writeln!(m, "Data: `{}` ({})\n", o.dataset, o.data_files.join(", "));
        for a in assumptions(o) {
            let _ = writeln!(m, "- {a}");
        }
        let _ = writeln!(m);
    }
    m
}
