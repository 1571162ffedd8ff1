//! Progress of a batch on stderr: a bar in a terminal, plain lines elsewhere (cluster
//! logs, CI), or nothing. `Progress::Auto` picks the bar when stderr is a terminal and
//! lines otherwise, so a job's log is never empty until the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How progress is shown (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A bar in a terminal, lines otherwise.
    #[default]
    Auto,
    /// An indicatif bar (nothing outside a terminal).
    Bar,
    /// A plain line every `LINE_EVERY`: runs done, runs/s, ETA.
    Lines,
    /// Nothing.
    Off,
}

impl Progress {
    pub fn parse(s: &str) -> Result<Progress, String> {
        match s {
            "auto" => Ok(Progress::Auto),
            "bar" => Ok(Progress::Bar),
            "lines" => Ok(Progress::Lines),
            "off" => Ok(Progress::Off),
            _ => Err(format!("--progress '{s}': use auto, bar, lines or off")),
        }
    }

    /// What `Auto` means here: the bar on a terminal, else lines.
    pub fn resolved(self) -> Progress {
        use std::io::IsTerminal;
        match self {
            Progress::Auto if std::io::stderr().is_terminal() => Progress::Bar,
            Progress::Auto => Progress::Lines,
            other => other,
        }
    }
}

impl From<bool> for Progress {
    /// `true`: `Auto`; `false`: `Off`.
    fn from(on: bool) -> Progress {
        if on {
            Progress::Auto
        } else {
            Progress::Off
        }
    }
}

/// Seconds between two progress lines (`YIELDLAB_PROGRESS_EVERY` overrides, for tests
/// and chatty logs).
fn line_every() -> Duration {
    let secs = std::env::var("YIELDLAB_PROGRESS_EVERY")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs.min(86_400.0))
}

fn eta(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".into();
    }
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s / 60) % 60),
    }
}

/// Reports runs done for one batch; `inc` may be called from any thread.
pub struct Reporter {
    bar: indicatif::ProgressBar,
    lines: Option<Lines>,
}

struct Lines {
    total: usize,
    start: Instant,
    every: Duration,
    done: AtomicUsize,
    last: Mutex<Instant>,
}

impl Reporter {
    pub fn new(total: usize, mode: Progress) -> Reporter {
        match mode.resolved() {
            Progress::Bar => Reporter {
                bar: bar(total),
                lines: None,
            },
            Progress::Lines => {
                eprintln!("progress: 0/{total} runs");
                let now = Instant::now();
                Reporter {
                    bar: indicatif::ProgressBar::hidden(),
                    lines: Some(Lines {
                        total,
                        start: now,
                        every: line_every(),
                        done: AtomicUsize::new(0),
                        last: Mutex::new(now),
                    }),
                }
            }
            _ => Reporter {
                bar: indicatif::ProgressBar::hidden(),
                lines: None,
            },
        }
    }

    pub fn inc(&self, n: usize) {
        self.bar.inc(n as u64);
        if let Some(l) = &self.lines {
            let done = l.done.fetch_add(n, Ordering::Relaxed) + n;
            let Ok(mut last) = l.last.lock() else {
                return;
            };
            if last.elapsed() >= l.every && done < l.total {
                *last = Instant::now();
                let secs = l.start.elapsed().as_secs_f64();
                let rate = done as f64 / secs.max(1e-9);
                eprintln!(
                    "progress: {done}/{} runs ({:.1} %), {rate:.1} runs/s, ETA {}",
                    l.total,
                    100.0 * done as f64 / l.total.max(1) as f64,
                    eta((l.total - done) as f64 / rate)
                );
            }
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if let Some(l) = &self.lines {
            let secs = l.start.elapsed().as_secs_f64();
            eprintln!(
                "progress: {}/{} runs done in {}",
                l.done.load(Ordering::Relaxed),
                l.total,
                eta(secs)
            );
        }
    }

    /// Whether anything is shown (the caller then reports its own later phases).
    pub fn shown(&self) -> bool {
        self.lines.is_some() || !self.bar.is_hidden()
    }
}

/// A progress bar with runs done, runs/s and ETA. It appears only after the first
/// second, so short invocations stay clean.
fn bar(total: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::hidden(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    });
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_bools_map() {
        assert_eq!(Progress::parse("lines"), Ok(Progress::Lines));
        assert!(Progress::parse("loud")
            .unwrap_err()
            .contains("auto, bar, lines or off"));
        assert_eq!(Progress::from(false), Progress::Off);
        assert_eq!(Progress::from(true), Progress::Auto);
        assert_eq!(eta(75.0), "1m15s");
        assert_eq!(eta(f64::INFINITY), "?");
    }
}
