//! `report.html` (one self-contained file: inline SVG charts, a sortable summary table,
//! each strategy's parameters, the data used and the assumptions; no network needed)
//! and `report.md` (the same tables, charts linked as PNG).

use std::fmt::Write as _;

use super::charts::Chart;
use super::{summary_columns, summary_fixed};
use crate::costs::ActionKind;
use crate::run::RunOutput;
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

/// Every summary column (parameters included, for sweeps) and every run's cells.
fn all_rows(outputs: &[RunOutput]) -> (Vec<String>, Vec<Vec<String>>) {
    let params = super::param_columns(outputs);
    let cols = super::summary_header(&params);
    let rows = outputs
        .iter()
        .map(|o| crate::run::Records::of(&super::Rows, o).summary_row(&params))
        .collect();
    (cols, rows)
}

/// What the verdict reads of each run.
fn figures(o: &RunOutput) -> crate::metrics::verdict::RunFigures {
    let r = &o.result;
    let m = crate::metrics::run_metrics(r, 0.0);
    crate::metrics::verdict::RunFigures {
        name: super::run_label(o),
        final_value: m.final_value,
        apy: m.apy,
        liquidation_apy: m.liquidation_apy,
        hodl_final: m.hodl_final,
        hodl_apy: m.hodl_apy,
        lend: o.lend_baseline.as_ref().ok().map(|b| {
            (
                b.final_value,
                crate::metrics::apy(
                    crate::metrics::total_return(r.capital, b.final_value),
                    m.years,
                ),
            )
        }),
        buckets: r.attribution,
    }
}

/// USD with a sign and thousands separators: `+$1,234`, `−$56`.
fn money(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let whole = format!("{:.0}", x.abs());
    let mut grouped = String::new();
    for (k, c) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}${grouped}", if x < 0.0 { "\u{2212}" } else { "+" })
}

fn pct(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let t = format!("{:.2} %", 100.0 * x);
    // No "-0.00 %".
    if t == "-0.00 %" {
        "0.00 %".into()
    } else {
        t
    }
}

/// The verdict as sentences: the winner, then every run ranked (plain text, escaped
/// by the caller).
fn verdict_lines(outputs: &[RunOutput]) -> (String, Vec<String>) {
    use crate::metrics::verdict::{bucket_words, rank};
    let ranked = rank(&outputs.iter().map(figures).collect::<Vec<_>>());
    let why = |r: &crate::metrics::verdict::Ranked| -> String {
        let mut parts: Vec<String> = r
            .deciding
            .iter()
            .map(|(b, x)| format!("{} {}", bucket_words(*b), money(*x)))
            .collect();
        if parts.is_empty() {
            parts.push("no yield or cost beyond market moves".into());
        }
        let mut s = format!("decided by {}", parts.join(" and "));
        if r.market_driven {
            s.push_str("; market moves (the price effect, shared with HODL) were larger still");
        }
        s
    };
    let line = |k: usize, r: &crate::metrics::verdict::Ranked| -> String {
        let exit = if r.after_exit && pct(r.rank_apy) != pct(r.apy) {
            format!(
                "{} net APY after closing out ({} before)",
                pct(r.rank_apy),
                pct(r.apy)
            )
        } else if r.after_exit {
            format!("{} net APY, closing out included", pct(r.rank_apy))
        } else {
            format!("{} net APY (exit not priced)", pct(r.apy))
        };
        let lend = match (r.vs_lend_usd, r.lend_apy) {
            (Some(d), Some(a)) => {
                format!("; {} against lending the stablecoin ({})", money(d), pct(a))
            }
            _ => "; no lending baseline covers the run".into(),
        };
        format!(
            "{}. {}: {exit}; {} against holding its initial tokens (HODL {}){lend}; {}.",
            k + 1,
            r.name,
            money(r.vs_hodl_usd),
            pct(r.hodl_apy),
            why(r)
        )
    };
    let lines: Vec<String> = ranked.iter().enumerate().map(|(k, r)| line(k, r)).collect();
    let head = match ranked.first() {
        Some(w) if ranked.len() > 1 => format!(
            "{} returned the most after every cost: {} net APY{}, {} against holding its tokens; {}.",
            w.name,
            pct(w.rank_apy),
            if w.after_exit { " after closing out" } else { "" },
            money(w.vs_hodl_usd),
            why(w)
        ),
        Some(w) => format!("{}: {} net APY after every cost; {}.", w.name, pct(w.rank_apy), why(w)),
        None => String::new(),
    };
    (head, lines)
}

/// A warning when the runs do not cover one period on one dataset.
fn period_warning(outputs: &[RunOutput]) -> Option<String> {
    // Grids of different steps over one period end a step apart, and a series that
    // ends a day early changes no APY: the same period within the coarsest step or 1 %
    // of the longest run, whichever is more.
    let step = outputs.iter().map(|o| o.result.grid.step).max()?;
    let span = outputs
        .iter()
        .map(|o| o.result.grid.end() - o.result.grid.start)
        .max()?;
    let tolerance = step.max(span / 100);
    let same = |a: &RunOutput, b: &RunOutput| {
        let (g, h) = (a.result.grid, b.result.grid);
        a.dataset == b.dataset
            && (g.start - h.start).abs() <= tolerance
            && (g.end() - h.end()).abs() <= tolerance
    };
    // The runs grouped by period and dataset, in first-seen order.
    let mut groups: Vec<Vec<&RunOutput>> = Vec::new();
    for o in outputs {
        match groups.iter_mut().find(|g| same(g[0], o)) {
            Some(g) => g.push(o),
            None => groups.push(vec![o]),
        }
    }
    if groups.len() < 2 {
        return None;
    }
    let each: Vec<String> = groups
        .iter()
        .map(|g| {
            let grid = g[0].result.grid;
            let names: Vec<&str> = g.iter().map(|o| o.spec.name.as_str()).collect();
            format!(
                "{} to {} on {}: {}",
                crate::units::format_ts(grid.start),
                crate::units::format_ts(grid.end()),
                g[0].dataset,
                names.join(", ")
            )
        })
        .collect();
    Some(format!(
        "These runs cover {} different periods or datasets, so their returns are not directly comparable (a bull month against a bear year): {}.",
        groups.len(),
        each.join("; ")
    ))
}

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

/// Runs of the verdict shown before the rest folds away.
const VERDICT_OPEN: usize = 10;

/// Whether a summary column is shown before the reader chooses: the headline
/// columns, and every swept parameter.
fn shown(col: &str) -> bool {
    SHOWN.contains(&col) || col.starts_with("param:")
}

/// Columns hidden until chosen carry class `opt` (hidden only once the script runs, so
/// without JavaScript every column is there).
fn opt_class(col: &str) -> &'static str {
    if shown(col) {
        ""
    } else {
        " class=\"opt\""
    }
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
            pct(x)
        }
        Ok(x) if col == "sharpe" => format!("{x:.2}"),
        _ => cell.to_string(),
    }
}

fn params_toml(o: &RunOutput) -> String {
    toml::to_string(&o.spec.params).unwrap_or_default()
}

fn assumptions(o: &RunOutput) -> Vec<String> {
    let mut v = Vec::new();
    cost_assumptions(o, &mut v);
    baseline_assumptions(o, &mut v);
    fee_model_assumptions(o, &mut v);
    data_assumptions(o, &mut v);
    v
}

/// Gas, swap, bridge and vault costs as the run priced them.
fn cost_assumptions(o: &RunOutput, v: &mut Vec<String>) {
    let c = &o.spec.config;
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
}

/// The lending baseline and the liquidation value.
fn baseline_assumptions(o: &RunOutput, v: &mut Vec<String>) {
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
}

/// Each pool's fee model (stated or picked, its bias, fallback steps) and price source.
fn fee_model_assumptions(o: &RunOutput, v: &mut Vec<String>) {
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
            v.push(format!("prices of {}: {}", f.pool, f.price_source));
        }
    }
}

/// Outliers, `[assume]` values and stress events.
fn data_assumptions(o: &RunOutput, v: &mut Vec<String>) {
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

/// The interactive line charts (src/report/chart.js, our own; no library, no network).
pub const CHART_JS: &str = include_str!("chart.js");

/// The style the interactive charts need (legend buttons, hover box, title).
pub const CHART_CSS: &str = ".ichart{position:relative;max-width:1250px}.ichart svg{width:100%;height:auto;cursor:crosshair;user-select:none}\
.legend{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0}.legend button{font-size:12px;border:1px solid #ccc;background:#fafafa;\
border-radius:3px;padding:2px 6px;cursor:pointer}.legend button.off{opacity:0.35}.sw{display:inline-block;width:18px;\
vertical-align:middle;margin-right:4px}.tip{display:none;position:absolute;pointer-events:none;background:rgba(255,255,255,0.95);\
border:1px solid #999;padding:6px 8px;font-size:12px;max-width:280px;box-shadow:0 1px 4px rgba(0,0,0,0.2)}\
.tip .when{font-weight:bold;margin-bottom:3px}.ctitle{font-size:17px;text-align:center;margin-top:6px}";

/// A chart as a figure: its static SVG (titled inside, so no second caption) and, for
/// a line chart, its data for `CHART_JS` to draw the interactive version from.
pub fn figure(c: &Chart) -> String {
    let data = c
        .data
        .as_ref()
        .map(|d| {
            format!(
                "\n<script type=\"application/json\" class=\"chart-data\">{}</script>",
                d.replace("</", "<\\/")
            )
        })
        .unwrap_or_default();
    format!(
        "<figure id=\"chart-{}\" aria-label=\"{}\"{}>\n{}{data}\n</figure>",
        esc(&c.name),
        esc(&c.title),
        if c.data.is_some() {
            " class=\"interactive\""
        } else {
            ""
        },
        c.svg
    )
}

/// The column chooser: hides the `opt` columns on load, and shows or hides a column
/// as its box is ticked.
const COLUMNS_JS: &str = r#"
(function () {
  var table = document.getElementById('summary');
  if (!table) return;
  function set(col, on) {
    Array.from(table.rows).forEach(function (r) {
      var c = r.cells[col];
      if (c) c.style.display = on ? '' : 'none';
    });
  }
  document.querySelectorAll('#columns input[data-col]').forEach(function (box) {
    var col = parseInt(box.dataset.col, 10);
    set(col, box.checked);
    box.addEventListener('change', function () { set(col, box.checked); });
  });
})();
"#;

pub fn html(outputs: &[RunOutput], charts: &[Chart]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>yieldlab comparison</title>\n<style>\
body{{font-family:sans-serif;margin:2em;color:#222;max-width:1800px}}p,li{{max-width:1250px}}table{{border-collapse:collapse;font-size:13px}}\
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}}th{{background:#f0f0f0;cursor:pointer}}td:first-child,td:nth-child(2){{text-align:left}}\
figure{{margin:1.5em 0}}figcaption{{font-weight:bold}}pre{{background:#f7f7f7;padding:8px}}svg{{max-width:100%;height:auto}}\
.scroll{{overflow-x:auto;max-width:100%}}.lead{{font-size:17px}}.warn{{background:#fff4d6;border-left:4px solid #e0a800;padding:8px 12px}}\
.chooser{{columns:4 220px;font-size:13px;padding:6px 0}}.chooser label{{display:block}}#columns summary{{cursor:pointer;margin-bottom:6px}}{CHART_CSS}</style></head><body>\n"
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
    verdict_section(&mut h, outputs);
    summary_section(&mut h, outputs);
    let _ = writeln!(h, "<h2>Charts</h2>");
    for c in charts {
        let _ = writeln!(h, "{}", figure(c));
    }
    strategies_section(&mut h, outputs);
    let _ = writeln!(
        h,
        "<script>{SORT_JS}{COLUMNS_JS}{CHART_JS}</script>\n</body></html>"
    );
    h
}

/// The verdict: the ranking by net APY, folded past the tenth, and the period warning.
fn verdict_section(h: &mut String, outputs: &[RunOutput]) {
    let (head, lines) = verdict_lines(outputs);
    let _ = writeln!(h, "<section id=\"verdict\"><h2>Verdict</h2>\n<p class=\"lead\">{}</p>\n<ol class=\"ranking\">", esc(&head));
    for (k, l) in lines.iter().enumerate() {
        // The ranking number is the list's own; past the tenth, the rest folds away.
        if k == VERDICT_OPEN && lines.len() > VERDICT_OPEN {
            let _ = writeln!(
                h,
                "</ol><details><summary>{} more runs, ranked</summary><ol class=\"ranking\" start=\"{}\">",
                lines.len() - VERDICT_OPEN,
                VERDICT_OPEN + 1
            );
        }
        let text = l.split_once(". ").map_or(l.as_str(), |x| x.1);
        let _ = writeln!(h, "<li>{}</li>", esc(text));
    }
    let _ = writeln!(h, "</ol>");
    if lines.len() > VERDICT_OPEN {
        let _ = writeln!(h, "</details>");
    }
    if let Some(w) = period_warning(outputs) {
        let _ = writeln!(h, "<p class=\"warn\" id=\"period-warning\">{}</p>", esc(&w));
    }
    let _ = writeln!(h, "</section>");
}

/// The summary table with its column chooser.
fn summary_section(h: &mut String, outputs: &[RunOutput]) {
    let (cols, rows) = all_rows(outputs);
    let _ = writeln!(
        h,
        "<h2>Summary</h2>\n<details id=\"columns\"><summary>Columns ({} of {} shown; choose)</summary><div class=\"chooser\">",
        cols.iter().filter(|c| shown(c)).count(),
        cols.len()
    );
    for (k, c) in cols.iter().enumerate() {
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" data-col=\"{k}\"{}> {}</label>",
            if shown(c) { " checked" } else { "" },
            esc(c)
        );
    }
    let _ = writeln!(h, "</div></details>");
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><table class=\"sortable\" id=\"summary\"><thead><tr>"
    );
    for c in &cols {
        let _ = write!(h, "<th data-name=\"{0}\"{1}>{0}</th>", esc(c), opt_class(c));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for r in &rows {
        let _ = write!(h, "<tr>");
        for (cell, col) in r.iter().zip(&cols) {
            let _ = write!(
                h,
                "<td data-v=\"{}\"{}>{}</td>",
                esc(cell),
                opt_class(col),
                esc(&pretty(cell, col))
            );
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table></div>");
}

/// Each run's file, period, parameters, data and assumptions.
fn strategies_section(h: &mut String, outputs: &[RunOutput]) {
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
}

pub fn markdown(outputs: &[RunOutput], charts: &[Chart]) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# yieldlab: {} strategies compared\n", outputs.len());
    let _ = writeln!(m, "Returns are net of gas, swap costs, vault fees and impermanent loss; APY is compounded (365-day years). All figures: `summary.csv`.\n");
    let (head, lines) = verdict_lines(outputs);
    let _ = writeln!(m, "## Verdict\n\n{head}\n");
    for l in &lines {
        let _ = writeln!(m, "{l}");
    }
    let _ = writeln!(m);
    if let Some(w) = period_warning(outputs) {
        let _ = writeln!(m, "> **Warning:** {w}\n");
    }
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
