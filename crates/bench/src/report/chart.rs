//! The report's chart: four panels (open times, search latency, save latency, peak memory) as
//! one SVG.

use super::Report;
use super::numbers::{fmt_ms, thousands};
use std::fmt::Write;

impl Report {
    /// Four panels: open times, search latency, save latency, peak memory. One function, on
    /// purpose: it reads as the chart does, panel after panel, each its series in order.
    pub fn svg(&self) -> String {
        let labels: Vec<String> = self
            .sizes
            .iter()
            .map(|s| format!("{} notes", thousands(s.notes)))
            .collect();
        let open = Panel {
            title: "Open, KDF excluded (ms, log)",
            log: true,
            millis: true,
            series: vec![
                Series::new(
                    "baseline: age per object",
                    "#9e9e9e",
                    self.sizes.iter().map(|s| s.baseline.median_ms),
                ),
                Series::new(
                    "open without snapshot",
                    "#e07b39",
                    self.sizes.iter().map(|s| s.open_log.open_ms),
                ),
                Series::new(
                    "open with snapshot",
                    "#2b6cb0",
                    self.sizes.iter().map(|s| s.open_snapshot.open_ms),
                ),
            ],
            goal: None,
        };
        let search = Panel {
            title: "Search latency (ms, log)",
            log: true,
            millis: true,
            series: vec![
                Series::new(
                    "p50",
                    "#68a063",
                    self.sizes.iter().map(|s| s.search.latency.p50),
                ),
                Series::new(
                    "p99",
                    "#2f6b2a",
                    self.sizes.iter().map(|s| s.search.latency.p99),
                ),
                Series::new(
                    "p99 ranking only (no snippets)",
                    "#a3c99f",
                    self.sizes.iter().map(|s| s.ranking.latency.p99),
                ),
            ],
            goal: Some((20.0, "goal: p99 &lt; 20 ms")),
        };
        let save = Panel {
            title: "Durable save p50, whisker p99 (ms)",
            log: false,
            millis: true,
            series: vec![
                Series::new(
                    "bare write+fsync+rename",
                    "#bdbdbd",
                    self.sizes.iter().map(|s| s.save.bare.p50),
                )
                .whiskers(self.sizes.iter().map(|s| s.save.bare.p99)),
                Series::new(
                    "bare + dir fsync",
                    "#8d8d8d",
                    self.sizes.iter().map(|s| s.save.bare_dir.p50),
                )
                .whiskers(self.sizes.iter().map(|s| s.save.bare_dir.p99)),
                Series::new(
                    "Vault::update",
                    "#b83280",
                    self.sizes.iter().map(|s| s.save.update.p50),
                )
                .whiskers(self.sizes.iter().map(|s| s.save.update.p99)),
            ],
            goal: None,
        };
        let memory = Panel {
            title: "Peak RSS (MiB)",
            log: false,
            millis: false,
            series: vec![
                Series::new(
                    "generate",
                    "#c4b5fd",
                    self.sizes.iter().map(|s| s.generate.peak_rss_mib),
                ),
                Series::new(
                    "open with snapshot",
                    "#2b6cb0",
                    self.sizes.iter().map(|s| s.open_snapshot.peak_rss_mib),
                ),
                Series::new(
                    "open without snapshot",
                    "#e07b39",
                    self.sizes.iter().map(|s| s.open_log.peak_rss_mib),
                ),
                Series::new(
                    "open + index + searches",
                    "#2f6b2a",
                    self.sizes.iter().map(|s| s.search.peak_rss_mib),
                ),
            ],
            goal: None,
        };
        let (pw, ph) = (340.0, 340.0);
        let width = pw * 4.0;
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{ph}\" \
             viewBox=\"0 0 {width} {ph}\" font-family=\"DejaVu Sans, Arial, sans-serif\" \
             font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        );
        for (i, p) in [open, search, save, memory].iter().enumerate() {
            p.draw(&mut out, i as f64 * pw, pw, ph, &labels);
        }
        out.push_str("</svg>\n");
        out
    }
}

struct Series {
    name: &'static str,
    color: &'static str,
    values: Vec<f64>,
    whiskers: Option<Vec<f64>>,
}

impl Series {
    fn new(name: &'static str, color: &'static str, values: impl Iterator<Item = f64>) -> Series {
        Series {
            name,
            color,
            values: values.collect(),
            whiskers: None,
        }
    }

    fn whiskers(mut self, w: impl Iterator<Item = f64>) -> Series {
        self.whiskers = Some(w.collect());
        self
    }
}

struct Panel {
    title: &'static str,
    log: bool,
    /// Values are milliseconds (else plain numbers).
    millis: bool,
    series: Vec<Series>,
    goal: Option<(f64, &'static str)>,
}

impl Panel {
    /// Draws the panel at `x0`, `w` wide and `h` high: frame, grid and ticks, bars with their
    /// whiskers and values, the goal line, the legend. One function, on purpose: the steps share
    /// the panel's geometry and its value-to-height mapping, and read in the order they paint.
    fn draw(&self, out: &mut String, x0: f64, w: f64, h: f64, labels: &[String]) {
        let (left, right, top, bottom) = (x0 + 52.0, x0 + w - 14.0, 30.0, h - 92.0);
        let mut vmax = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().chain(s.whiskers.iter().flatten()))
            .fold(0.0f64, |a, b| a.max(*b));
        if let Some((g, _)) = self.goal {
            vmax = vmax.max(g);
        }
        let vmin_pos = self
            .series
            .iter()
            .flat_map(|s| s.values.iter())
            .filter(|v| **v > 0.0)
            .fold(f64::MAX, |a, b| a.min(*b));
        // Axis range: decades for log, a rounded top for linear.
        let (lo, hi) = if self.log {
            let lo = 10f64.powf((vmin_pos * 0.5).max(1e-3).log10().floor());
            let hi = 10f64.powf(vmax.max(lo * 10.0).log10().ceil());
            (lo, hi)
        } else {
            (0.0, nice_ceil(vmax.max(1e-3)))
        };
        let y = |v: f64| -> f64 {
            let f = if self.log {
                (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10())
            } else {
                (v - lo) / (hi - lo)
            };
            bottom - f.clamp(0.0, 1.0) * (bottom - top)
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            x0 + 10.0,
            self.title
        );
        // Grid and tick labels.
        let ticks: Vec<f64> = if self.log {
            let mut t = Vec::new();
            let mut v = lo;
            while v <= hi * 1.0001 {
                t.push(v);
                v *= 10.0;
            }
            t
        } else {
            (0..=5).map(|i| hi * i as f64 / 5.0).collect()
        };
        for t in ticks {
            let yy = y(t);
            let _ = writeln!(
                out,
                "<line x1=\"{left}\" x2=\"{right}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e5e5\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
                left - 4.0,
                yy + 4.0,
                tick_label(t)
            );
        }
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{bottom}\" stroke=\"#333\"/>\
             <line x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\" stroke=\"#333\"/>"
        );
        let groups = labels.len().max(1) as f64;
        let gw = (right - left) / groups;
        let ns = self.series.len() as f64;
        let bw = (gw * 0.8 / ns).min(34.0);
        for (gi, label) in labels.iter().enumerate() {
            let gx = left + gw * gi as f64 + (gw - bw * ns) / 2.0;
            for (si, s) in self.series.iter().enumerate() {
                let Some(&v) = s.values.get(gi) else { continue };
                let bx = gx + bw * si as f64;
                let by = y(v);
                let _ = writeln!(
                    out,
                    "<rect x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\">\
                     <title>{}: {}</title></rect>",
                    bw - 2.0,
                    (bottom - by).max(0.5),
                    s.color,
                    s.name,
                    fmt_ms(v)
                );
                let whisker = s.whiskers.as_ref().and_then(|w| w.get(gi)).copied();
                if let Some(wv) = whisker {
                    let cx = bx + (bw - 2.0) / 2.0;
                    let _ = writeln!(
                        out,
                        "<line x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{by:.1}\" y2=\"{:.1}\" stroke=\"#222\"/>\
                         <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#222\"/>",
                        y(wv),
                        cx - 4.0,
                        cx + 4.0,
                        y(wv),
                        y(wv)
                    );
                }
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
                    bx + (bw - 2.0) / 2.0,
                    by.min(whisker.map_or(by, y)) - 3.0,
                    if self.millis {
                        short(v)
                    } else {
                        format!("{v:.0}")
                    }
                );
            }
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
                left + gw * (gi as f64 + 0.5),
                bottom + 15.0
            );
        }
        if let Some((g, name)) = self.goal {
            let gy = y(g);
            let _ = writeln!(
                out,
                "<line x1=\"{left}\" x2=\"{right}\" y1=\"{gy:.1}\" y2=\"{gy:.1}\" stroke=\"#c53030\" \
                 stroke-dasharray=\"5,4\"/><text x=\"{:.1}\" y=\"{:.1}\" \
                 fill=\"#c53030\">{name}</text>",
                left + 4.0,
                gy - 4.0
            );
        }
        for (si, s) in self.series.iter().enumerate() {
            let ly = bottom + 34.0 + 15.0 * si as f64;
            let _ = writeln!(
                out,
                "<rect x=\"{left}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                ly - 9.0,
                s.color,
                left + 15.0,
                ly,
                s.name
            );
        }
    }
}

fn nice_ceil(v: f64) -> f64 {
    let e = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * e >= v {
            return m * e;
        }
    }
    10.0 * e
}

fn tick_label(v: f64) -> String {
    if v >= 1000.0 {
        format!("{}k", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v}")
    } else {
        format!("{v:.2}")
    }
}

fn short(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceil(7.3), 10.0);
        assert_eq!(nice_ceil(2.1), 2.5);
    }
}
