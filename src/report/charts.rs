//! Charts with plotters, each as PNG and SVG: equity curves, drawdowns, attribution
//! bars, IL against cumulative fees for LP runs, allocation over time for pool hopping.
//! Text uses DejaVu Sans from the `dejavu` crate through plotters' ab_glyph path, so a
//! machine with no system fonts renders it.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::engine::{Bucket, BUCKETS};
use crate::run::RunOutput;
use crate::units::format_ts;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const W: u32 = 1100;
const H: u32 = 620;
const FONT: &str = "sans-serif";

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A chart written as `<name>.png` and `<name>.svg`.
pub struct Chart {
    pub name: String,
    pub title: String,
    pub svg: String,
    /// For line charts: the lines as JSON, which report.html draws as an interactive
    /// chart (hover values, zoom, legend toggling) over the static SVG.
    pub data: Option<String>,
}

/// A line chart's data for the interactive version: at most 700 points per line.
/// With `cats`, x is the index of a category (a swept parameter's values) named on the axis.
fn line_data(
    title: &str,
    x_label: Option<&str>,
    y_label: &str,
    lines: &[Line],
    cats: Option<&[String]>,
) -> String {
    let lines: Vec<serde_json::Value> = lines
        .iter()
        .map(|(label, points, dashed, c)| {
            let col = color(*c);
            let pts: Vec<[f64; 2]> = thin(points, 700)
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|p| [p.0, (p.1 * 1e6).round() / 1e6])
                .collect();
            serde_json::json!({
                "label": label,
                "dashed": dashed,
                "color": format!("#{:02x}{:02x}{:02x}", col.0, col.1, col.2),
                "points": pts,
            })
        })
        .collect();
    serde_json::json!({
        "title": title,
        "time": x_label.is_none(),
        "x": x_label.unwrap_or("date (UTC)"),
        "y": y_label,
        "lines": lines,
        "cats": cats,
    })
    .to_string()
}

fn color(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    C[i % C.len()]
}

/// At most `max` points of a series (every k-th and the last), for readable SVGs.
fn thin(xs: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if xs.len() <= max {
        return xs.to_vec();
    }
    let k = xs.len().div_ceil(max);
    let mut v: Vec<(f64, f64)> = xs.iter().step_by(k).copied().collect();
    if let Some(last) = xs.last() {
        v.push(*last);
    }
    v
}

fn date_label(x: &f64) -> String {
    format_ts(*x as i64)[..10].to_string()
}

fn bounds(series: &[Vec<(f64, f64)>]) -> (f64, f64, f64, f64) {
    let mut b = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for s in series {
        for (x, y) in s {
            b.0 = b.0.min(*x);
            b.1 = b.1.max(*x);
            b.2 = b.2.min(*y);
            b.3 = b.3.max(*y);
        }
    }
    if !b.0.is_finite() {
        return (0.0, 1.0, 0.0, 1.0);
    }
    let pad = ((b.3 - b.2) * 0.05).max(1e-9);
    (b.0, b.1.max(b.0 + 1.0), b.2 - pad, b.3 + pad)
}

/// One line of a chart over time: its label, points, whether it is dashed (a
/// baseline, not in the legend), and its colour index.
pub type Line = (String, Vec<(f64, f64)>, bool, usize);

fn draw_lines<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    lines: &[Line],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    draw_lines_x(root, title, None, y_label, lines)
}

/// As `draw_lines`, with a plain numeric x axis named `x_label` (`None`: dates).
fn draw_lines_x<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    x_label: Option<&str>,
    y_label: &str,
    lines: &[Line],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let pts: Vec<Vec<(f64, f64)>> = lines.iter().map(|l| l.1.clone()).collect();
    let (x0, x1, y0, y1) = bounds(&pts);
    // The legend sits in its own strip on the right, never on the data.
    let (title_area, body) = root.split_vertically(40);
    title_area.draw(&Text::new(
        title.to_string(),
        (W as i32 / 2, 12),
        (FONT, 22)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (plot, legend) = body.split_horizontally(W - LEGEND_W);
    draw_legend(&legend, lines)?;
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|x| match x_label {
            None => date_label(x),
            Some(_) => format!("{x:.0}"),
        })
        .y_label_formatter(&|y| {
            // Enough decimals for the axis' span.
            let digits = (2.0 - (y1 - y0).log10().floor()).clamp(0.0, 6.0) as usize;
            format!("{y:.digits$}")
        })
        .x_desc(x_label.unwrap_or("date (UTC)"))
        .y_desc(y_label)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    for (label, points, dashed, c) in lines {
        let col = color(*c);
        let style = ShapeStyle::from(&col).stroke_width(if *dashed { 1 } else { 2 });
        let _ = label;
        if *dashed {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))?;
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
        }
    }
    root.present()?;
    Ok(())
}

/// Width of the legend strip of a line chart.
const LEGEND_W: u32 = 250;

/// A line chart's legend, one row per solid line (dashed baselines share their run's
/// colour and are named in the title), as many as fit.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lines: &[Line]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let rows: Vec<&Line> = lines.iter().filter(|l| !l.2).collect();
    let fit = ((H as i32 - 120) / 20).max(1) as usize;
    for (k, (label, _, _, c)) in rows.iter().take(fit).enumerate() {
        let y = 30 + 20 * k as i32;
        let col = color(*c);
        area.draw(&PathElement::new(
            vec![(8, y), (30, y)],
            ShapeStyle::from(&col).stroke_width(3),
        ))?;
        let text: String = if label.chars().count() > 30 {
            label.chars().take(29).collect::<String>() + "…"
        } else {
            label.clone()
        };
        area.draw(&Text::new(
            text,
            (36, y),
            (FONT, 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    if rows.len() > fit {
        area.draw(&Text::new(
            format!("… and {} more", rows.len() - fit),
            (36, 30 + 20 * fit as i32),
            (FONT, 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

fn xy(o: &RunOutput, ys: &[f64]) -> Vec<(f64, f64)> {
    let g = o.result.grid;
    thin(
        &ys.iter()
            .enumerate()
            .map(|(i, y)| (g.at(i) as f64, *y))
            .collect::<Vec<_>>(),
        1500,
    )
}

/// Renders with `draw` to PNG (written to a temporary name, then renamed) and SVG.
macro_rules! render {
    ($dir:expr, $name:expr, $title:expr, |$root:ident| $body:expr) => {{
        register_fonts();
        let png = $dir.join(format!("{}.png", $name));
        let tmp = $dir.join(format!(".{}.tmp.png", $name));
        {
            let $root = BitMapBackend::new(&tmp, (W, H)).into_drawing_area();
            $body?;
        }
        std::fs::rename(&tmp, &png)?;
        let mut svg = String::new();
        {
            let $root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
            $body?;
        }
        crate::io::write_atomic(&$dir.join(format!("{}.svg", $name)), svg.as_bytes())?;
        Chart {
            name: $name.to_string(),
            title: $title.to_string(),
            svg,
            data: None,
        }
    }};
}

pub fn equity(dir: &Path, outputs: &[RunOutput]) -> Result<Chart> {
    let mut lines = Vec::new();
    for (k, o) in outputs.iter().enumerate() {
        lines.push((super::run_label(o), xy(o, &o.result.series.value), false, k));
        if o.spec.params.kind() != "hodl" {
            lines.push((
                format!("{} HODL", super::run_label(o)),
                xy(o, &o.result.series.hodl_value),
                true,
                k,
            ));
        }
    }
    let title = "Portfolio value (USD); dashed: holding each run's initial tokens";
    let mut c = render!(dir, "equity", title, |root| draw_lines(
        root,
        title,
        "value (USD)",
        &lines
    ));
    c.data = Some(line_data(title, None, "value (USD)", &lines, None));
    Ok(c)
}

pub fn drawdown(dir: &Path, outputs: &[RunOutput]) -> Result<Chart> {
    let lines: Vec<_> = outputs
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let dd: Vec<f64> = crate::metrics::drawdown::series(&o.result.series.value)
                .into_iter()
                .map(|x| 100.0 * x)
                .collect();
            (super::run_label(o), xy(o, &dd), false, k)
        })
        .collect();
    let title = "Drawdown from the running peak (%)";
    let mut c = render!(dir, "drawdown", title, |root| draw_lines(
        root,
        title,
        "drawdown (%)",
        &lines
    ));
    c.data = Some(line_data(title, None, "drawdown (%)", &lines, None));
    Ok(c)
}

pub fn il_vs_fees(dir: &Path, o: &RunOutput) -> Result<Chart> {
    let b = &o.result.series.buckets;
    let il: Vec<f64> = b.iter().map(|x| Bucket::ImpermanentLoss.of(x)).collect();
    let earned: Vec<f64> = b
        .iter()
        .map(|x| Bucket::Fees.of(x) + Bucket::Rewards.of(x))
        .collect();
    let net: Vec<f64> = il.iter().zip(&earned).map(|(a, b)| a + b).collect();
    let lines = vec![
        ("impermanent loss".to_string(), xy(o, &il), false, 3),
        (
            "fees + rewards earned".to_string(),
            xy(o, &earned),
            false,
            2,
        ),
        (
            "net: fees + rewards + IL".to_string(),
            xy(o, &net),
            false,
            0,
        ),
    ];
    let title = format!(
        "{}: impermanent loss vs cumulative fees and rewards (USD)",
        o.spec.name
    );
    let name = file_name("il_vs_fees", &o.spec.name);
    let mut c = render!(dir, name, title, |root| draw_lines(
        root, &title, "USD", &lines
    ));
    c.data = Some(line_data(&title, None, "USD", &lines, None));
    Ok(c)
}

fn draw_attribution<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    outputs: &[RunOutput],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = outputs.len();
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    for o in outputs {
        let a = o.result.attribution;
        lo = lo.min(a.iter().filter(|x| **x < 0.0).sum());
        hi = hi.max(a.iter().filter(|x| **x > 0.0).sum());
    }
    let pad = (hi - lo).max(1.0) * 0.05;
    let names: Vec<String> = outputs.iter().map(super::short_label).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 24).into_font())
        .margin(12)
        .x_label_area_size(if n > 7 { 200 } else { 40 })
        .y_label_area_size(90)
        // Room on the right for the legend.
        .build_cartesian_2d(-0.5f64..(n as f64 + 1.2), (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .y_desc("USD")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    for (b, bucket) in BUCKETS.iter().enumerate() {
        let col = color(b);
        let mut rects = Vec::new();
        for (k, o) in outputs.iter().enumerate() {
            let a = o.result.attribution;
            let v = a[b];
            if v == 0.0 {
                continue;
            }
            // Stack positives upward and negatives downward in bucket order.
            let base: f64 = a[..b].iter().filter(|x| (**x > 0.0) == (v > 0.0)).sum();
            let (y0, y1) = (base, base + v);
            rects.push(Rectangle::new(
                [(k as f64 - 0.35, y0), (k as f64 + 0.35, y1)],
                col.filled(),
            ));
        }
        if rects.is_empty() {
            continue;
        }
        chart
            .draw_series(rects)?
            .label(*bucket)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], col.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 13))
        .draw()?;
    for (k, name) in names.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(k as f64, lo - pad));
        draw_bar_label(&root, name, (x, y), n > 7)?;
    }
    root.present()?;
    Ok(())
}

/// A bar's run name under the axis (the mesh's own labels skip some), turned when
/// there are many bars; a long name keeps its end (where runs of one strategy differ).
fn draw_bar_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    name: &str,
    (x, y): (i32, i32),
    many: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let count = name.chars().count();
    let text: String = if count > 30 {
        "…".to_string() + &name.chars().skip(count - 29).collect::<String>()
    } else {
        name.to_string()
    };
    let font = (FONT, 13).into_font();
    let style = if many {
        font.transform(FontTransform::Rotate90)
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center))
    } else {
        font.color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top))
    };
    root.draw(&Text::new(text, (x, y + 6), style))?;
    Ok(())
}

pub fn attribution(dir: &Path, outputs: &[RunOutput]) -> Result<Chart> {
    let title = "Where each run's result came from (USD, cumulative)";
    let mut c = render!(dir, "attribution", title, |root| draw_attribution(
        root, title, outputs
    ));
    // The interactive version: stacked bars with each run's buckets on hover.
    let buckets: Vec<serde_json::Value> = BUCKETS
        .iter()
        .enumerate()
        .map(|(b, name)| {
            let col = color(b);
            serde_json::json!({
                "label": name,
                "color": format!("#{:02x}{:02x}{:02x}", col.0, col.1, col.2),
                "values": outputs
                    .iter()
                    .map(|o| (o.result.attribution[b] * 100.0).round() / 100.0)
                    .collect::<Vec<f64>>(),
            })
        })
        .filter(|v| {
            v["values"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x.as_f64() != Some(0.0)))
        })
        .collect();
    c.data = Some(
        serde_json::json!({
            "kind": "bars",
            "title": title,
            "y": "USD",
            "runs": outputs.iter().map(super::short_label).collect::<Vec<_>>(),
            "buckets": buckets,
        })
        .to_string(),
    );
    Ok(c)
}

fn draw_allocation<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    o: &RunOutput,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (pools, spans) = allocation_spans(o);
    let g = o.result.grid;
    let widest = pools
        .iter()
        .map(|p| p.chars().count().min(34))
        .max()
        .unwrap_or(4) as u32;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 24).into_font())
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(20 + 8 * widest)
        .build_cartesian_2d(
            g.start as f64..(g.end() as f64).max(g.start as f64 + 1.0),
            -0.5f64..(pools.len() as f64 - 0.5),
        )?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(pools.len().max(1))
        .x_label_formatter(&date_label)
        .y_label_formatter(&|y| {
            let k = y.round();
            if (y - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < pools.len() {
                pools[k as usize].chars().take(34).collect()
            } else {
                String::new()
            }
        })
        .x_desc("date (UTC)")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    // One bar per stretch of time in a pool.
    for &(k, x0, x1) in &spans {
        chart.draw_series(std::iter::once(Rectangle::new(
            [
                (x0 as f64, k as f64 - 0.3),
                ((x1 as f64).max((x0 + g.step) as f64), k as f64 + 0.3),
            ],
            color(k).filled(),
        )))?;
    }
    root.present()?;
    Ok(())
}

pub fn allocation(dir: &Path, o: &RunOutput) -> Result<Chart> {
    let title = format!("{}: which pool held the capital", o.spec.name);
    let name = file_name("allocation", &o.spec.name);
    let mut c = render!(dir, name, title, |root| draw_allocation(root, &title, o));
    c.data = Some(allocation_data(&title, o));
    Ok(c)
}

/// The allocation's stretches for the interactive chart: `lanes` (the pools, sorted as in
/// the static chart) and `spans` `[lane, from, to]` in unix seconds.
fn allocation_data(title: &str, o: &RunOutput) -> String {
    let (pools, spans) = allocation_spans(o);
    let colors: Vec<String> = (0..pools.len().max(1))
        .map(|k| {
            let c = color(k);
            format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
        })
        .collect();
    serde_json::json!({
        "title": title,
        "time": true,
        "x": "date (UTC)",
        "y": "",
        "lines": [],
        "lanes": pools,
        "colors": colors,
        "spans": spans.iter().map(|(k, a, b)| serde_json::json!([k, a, b])).collect::<Vec<_>>(),
    })
    .to_string()
}

/// The pools a run's capital sat in (sorted) and each stretch in one of them: (pool
/// index, first time, the time it moved on or the grid's last time).
fn allocation_spans(o: &RunOutput) -> (Vec<&str>, Vec<(usize, i64, i64)>) {
    let g = o.result.grid;
    let alloc: Vec<&str> = (0..g.len())
        .map(|i| o.result.series.allocation_at(i))
        .collect();
    let mut pools: Vec<&str> = alloc.clone();
    pools.sort();
    pools.dedup();
    let mut spans = Vec::new();
    let mut start = 0usize;
    for i in 1..=alloc.len() {
        if i == alloc.len() || alloc[i] != alloc[start] {
            let k = pools.iter().position(|p| *p == alloc[start]).unwrap_or(0);
            spans.push((k, g.at(start), g.at(i.min(alloc.len() - 1))));
            start = i;
        }
    }
    (pools, spans)
}

/// A chart file name for a run (no characters that break links).
fn file_name(prefix: &str, run: &str) -> String {
    format!("{prefix}_{}", crate::io::safe_name(run))
}

/// Most runs a chart draws; with more, the best by net APY (ties: lower index).
pub const MAX_RUNS_PER_CHART: usize = 12;

/// Every chart that applies to these runs, written into `dir`. With more than
/// `MAX_RUNS_PER_CHART` runs the comparison charts show the best ones and the per-run
/// charts (IL vs fees, allocation) are left out.
pub fn all(dir: &Path, outputs: &[RunOutput]) -> Result<Vec<Chart>> {
    std::fs::create_dir_all(dir)?;
    let shown: Vec<RunOutput> = if outputs.len() <= MAX_RUNS_PER_CHART {
        outputs.to_vec()
    } else {
        // The best by net APY (by final value, a sweep over capital would show only its
        // largest capitals).
        let apy = |o: &RunOutput| {
            crate::metrics::verdict::rank_key(crate::metrics::run_metrics(&o.result, 0.0).apy)
        };
        let mut v: Vec<(f64, &RunOutput)> = outputs.iter().map(|o| (apy(o), o)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.index.cmp(&b.1.index)));
        let v: Vec<&RunOutput> = v.into_iter().map(|x| x.1).collect();
        let mut best: Vec<RunOutput> = v.into_iter().take(MAX_RUNS_PER_CHART).cloned().collect();
        best.sort_by_key(|o| o.index);
        best
    };
    let mut charts = vec![
        equity(dir, &shown)?,
        drawdown(dir, &shown)?,
        attribution(dir, &shown)?,
    ];
    if outputs.len() <= MAX_RUNS_PER_CHART {
        for o in outputs {
            if Bucket::ImpermanentLoss.of(&o.result.attribution) != 0.0 {
                charts.push(il_vs_fees(dir, o)?);
            }
            if o.spec.params.kind() == "pool_hop" {
                charts.push(allocation(dir, o)?);
            }
        }
    }
    Ok(charts)
}

/// The PNG path of a chart in `dir`.
pub fn png_path(dir: &Path, c: &Chart) -> PathBuf {
    dir.join(format!("{}.png", c.name))
}

/// The heatmap's colour of `v` on a scale diverging around 0 with `m` at either end:
/// red below 0, white at 0, green above; `None` beyond the scale is drawn at its end.
fn diverging(v: f64, m: f64) -> RGBColor {
    let t = if m > 0.0 {
        (v / m).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let mix = |a: u8, b: u8, t: f64| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (end, t) = if t < 0.0 {
        (RGBColor(178, 24, 43), -t)
    } else {
        (RGBColor(27, 120, 55), t)
    };
    RGBColor(mix(247, end.0, t), mix(247, end.1, t), mix(247, end.2, t))
}

/// The scale's end: the largest |value|, or the 90th percentile of |values| when the
/// largest is over twice that (one outlier would wash out every other cell); cells
/// beyond it are clipped to the end colour and marked.
fn scale_end(values: &[f64]) -> f64 {
    let mut a: Vec<f64> = values
        .iter()
        .map(|v| v.abs())
        .filter(|v| v.is_finite())
        .collect();
    a.sort_by(f64::total_cmp);
    let Some(&max) = a.last() else {
        return 0.0;
    };
    let p90 = a[((a.len() - 1) as f64 * 0.9).round() as usize];
    if max > 2.0 * p90 && p90 > 0.0 {
        p90
    } else {
        max
    }
}

fn draw_heatmap<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    (px, py): (&str, &str),
    xs: &[String],
    ys: &[String],
    cells: &[(usize, usize, f64)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let values: Vec<f64> = cells.iter().map(|c| c.2).collect();
    let m = scale_end(&values);
    let (main, bar) = root.split_horizontally(W - 130);
    let mut chart = ChartBuilder::on(&main)
        .caption(title, (FONT, 22).into_font())
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(110)
        .build_cartesian_2d(
            -0.5f64..(xs.len() as f64 - 0.5),
            -0.5f64..(ys.len() as f64 - 0.5),
        )?;
    let label = |v: &[String], x: f64| {
        let k = x.round();
        if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < v.len() {
            v[k as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(xs.len().min(20))
        .y_labels(ys.len().min(20))
        .x_label_formatter(&|x| label(xs, *x))
        .y_label_formatter(&|y| label(ys, *y))
        .x_desc(px)
        .y_desc(py)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    chart.draw_series(cells.iter().map(|(x, y, v)| {
        Rectangle::new(
            [
                (*x as f64 - 0.5, *y as f64 - 0.5),
                (*x as f64 + 0.5, *y as f64 + 0.5),
            ],
            diverging(*v, m).filled(),
        )
    }))?;
    chart.draw_series(cells.iter().map(|(x, y, v)| {
        // Dark cells get white text; a clipped cell is marked with a star.
        let dark = m > 0.0 && (v / m).abs() > 0.6;
        let clipped = v.abs() > m * (1.0 + 1e-9);
        let text = format!("{:.1} %{}", 100.0 * v, if clipped { " *" } else { "" });
        let style = (FONT, 13)
            .into_font()
            .color(if dark { &WHITE } else { &BLACK })
            .pos(Pos::new(HPos::Center, VPos::Center));
        Text::new(text, (*x as f64, *y as f64), style)
    }))?;
    draw_colour_bar(&bar, m, values.iter().any(|v| v.abs() > m * (1.0 + 1e-9)))?;
    root.present()?;
    Ok(())
}

/// The heatmap's colour bar: −m at the bottom, 0, +m at the top; a note when some
/// cells lie beyond the scale (`clipped`).
fn draw_colour_bar<DB: DrawingBackend>(
    bar: &DrawingArea<DB, Shift>,
    m: f64,
    clipped: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (bw, top, bottom) = (24i32, 60i32, H as i32 - 90);
    let steps = 60;
    for k in 0..steps {
        let y0 = top + (bottom - top) * k / steps;
        let y1 = top + (bottom - top) * (k + 1) / steps;
        let v = m * (1.0 - 2.0 * (k as f64 + 0.5) / steps as f64);
        bar.draw(&Rectangle::new(
            [(10, y0), (10 + bw, y1)],
            diverging(v, m).filled(),
        ))?;
    }
    bar.draw(&Rectangle::new(
        [(10, top), (10 + bw, bottom)],
        BLACK.mix(0.5),
    ))?;
    let font = (FONT, 13).into_font();
    for (frac, v) in [(0.0, m), (0.5, 0.0), (1.0, -m)] {
        let y = top + ((bottom - top) as f64 * frac) as i32;
        bar.draw(&Text::new(
            format!("{:+.1} %", 100.0 * v),
            (14 + bw, y - 7),
            font.clone(),
        ))?;
    }
    bar.draw(&Text::new("net APY", (6, top - 28), font.clone()))?;
    if clipped {
        bar.draw(&Text::new("* beyond", (6, bottom + 14), font.clone()))?;
        bar.draw(&Text::new("the scale", (6, bottom + 30), font))?;
    }
    Ok(())
}

fn draw_sweep_line<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    param: &str,
    xs: &[String],
    ys: &[f64],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (lo, hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(*y), b.max(*y))
        });
    let pad = ((hi - lo) * 0.1).max(1e-4);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22).into_font())
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(
            -0.5f64..(xs.len() as f64 - 0.5),
            100.0 * (lo - pad)..100.0 * (hi + pad),
        )?;
    chart
        .configure_mesh()
        .x_labels(xs.len().min(20))
        .x_label_formatter(&|x| {
            let k = x.round();
            if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < xs.len() {
                xs[k as usize].clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.1}"))
        .x_desc(param)
        .y_desc("net APY (%)")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    let pts: Vec<(f64, f64)> = ys
        .iter()
        .enumerate()
        .map(|(k, y)| (k as f64, 100.0 * y))
        .collect();
    chart.draw_series(LineSeries::new(
        pts.clone(),
        ShapeStyle::from(&color(0)).stroke_width(2),
    ))?;
    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, color(0).filled())))?;
    root.present()?;
    Ok(())
}

/// Sweep charts from every run's parameters and APY: a line of net APY over each swept
/// parameter (the mean over the other parameters' values) and, for the first two swept
/// parameters, a heatmap of net APY over both. Values are ordered as first seen.
pub fn sweep(dir: &Path, points: &[crate::metrics::sweep::Point]) -> Result<Vec<Chart>> {
    use crate::metrics::sweep;
    let mut charts = Vec::new();
    for m in sweep::means_by_param(points) {
        let (name, xs, ys) = (&m.name, &m.values, &m.means);
        let title = format!("Net APY by {name} (mean over the other parameters)");
        let file = format!("sweep_{}", name.replace(['.', ':', '/'], "_"));
        let mut c = render!(dir, file, title, |root| draw_sweep_line(
            root, &title, name, xs, ys
        ));
        let line: Line = (
            "net APY (%), mean".to_string(),
            ys.iter()
                .enumerate()
                .map(|(i, y)| (i as f64, 100.0 * y))
                .collect(),
            false,
            0,
        );
        c.data = Some(line_data(
            &title,
            Some(name),
            "net APY (%)",
            &[line],
            Some(xs),
        ));
        charts.push(c);
    }
    if let Some(g) = sweep::means_over_first_two(points) {
        let title = format!("Net APY over {} × {}", g.x, g.y);
        charts.push(render!(dir, "sweep_heatmap", title, |root| draw_heatmap(
            root,
            &title,
            (&g.x, &g.y),
            &g.xs,
            &g.ys,
            &g.cells
        )));
    }
    Ok(charts)
}

/// A chart of lines over a numeric x axis (`x_label`), as `<name>.png` and `.svg`.
pub fn lines_chart_x(
    dir: &Path,
    name: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
) -> Result<Chart> {
    lines_chart_on(dir, name, title, Some(x_label), y_label, lines)
}

fn lines_chart_on(
    dir: &Path,
    name: &str,
    title: &str,
    x_label: Option<&str>,
    y_label: &str,
    lines: &[Line],
) -> Result<Chart> {
    std::fs::create_dir_all(dir)?;
    let name = file_name(name, "");
    let name = name.trim_end_matches('_').to_string();
    let mut c = render!(dir, name, title, |root| draw_lines_x(
        root, title, x_label, y_label, lines
    ));
    c.data = Some(line_data(title, x_label, y_label, lines, None));
    Ok(c)
}

/// A chart of lines over time written as `<name>.png` and `.svg` (for other modules).
pub fn lines_chart(
    dir: &Path,
    name: &str,
    title: &str,
    y_label: &str,
    lines: &[Line],
) -> Result<Chart> {
    lines_chart_on(dir, name, title, None, y_label, lines)
}
