//! Small SVG chart primitives for the report: axes with ticks, polylines, bands, stacked areas,
//! points with whiskers, horizontal bars and Gantt rows. Plain strings, no scripts, fixed number
//! formatting — the same data gives the same bytes.

use std::fmt::Write;

pub const WIDTH: f64 = 960.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
/// Room above the plot for the labels of event windows and levels.
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;

/// A plot area mapping data x ∈ [x0, x1], y ∈ [0, y1] to pixels.
pub struct Frame {
    pub height: f64,
    pub x0: f64,
    pub x1: f64,
    /// The value at the bottom of the plot (0 unless raised with [`Frame::from_y`]).
    pub y0: f64,
    pub y1: f64,
    /// Between y grid lines: 1, 2 or 5 × 10ⁿ, so every tick is a round number.
    pub step: f64,
}

impl Frame {
    pub fn new(height: f64, x0: f64, x1: f64, y_max: f64) -> Frame {
        let top = y_max.max(1e-9);
        let step = nice_step(top / 4.0);
        Frame {
            height,
            x0,
            x1: if x1 > x0 { x1 } else { x0 + 1.0 },
            y0: 0.0,
            y1: (top / step - 1e-9).ceil().max(1.0) * step,
            step,
        }
    }

    /// The same frame with the y axis starting at `y0` (below `y1`).
    pub fn from_y(mut self, y0: f64) -> Frame {
        if y0 < self.y1 {
            self.y0 = y0;
            self.step = nice_step((self.y1 - y0) / 4.0);
        }
        self
    }

    pub fn x(&self, v: f64) -> f64 {
        LEFT + (v - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)
    }

    pub fn y(&self, v: f64) -> f64 {
        TOP + (1.0 - (v - self.y0) / (self.y1 - self.y0)) * (self.height - TOP - BOTTOM)
    }

    pub fn bottom(&self) -> f64 {
        self.height - BOTTOM
    }

    /// The opening `<svg>` with the y axis, its grid lines and labels (`fmt_y` formats a value).
    pub fn open(&self, id: &str, title: &str, fmt_y: impl Fn(f64) -> String) -> String {
        let mut s = format!(
            r#"<svg class="chart" id="{id}" role="img" aria-label="{}" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}">"#,
            escape(title),
            h = self.height
        );
        let first = (self.y0 / self.step - 1e-9).ceil();
        let ticks = ((self.y1 - first * self.step) / self.step + 1e-9)
            .floor()
            .max(0.0) as u32;
        for k in 0..=ticks {
            let v = (first + f64::from(k)) * self.step;
            let y = self.y(v);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                escape(&fmt_y(v))
            );
        }
        s
    }

    /// The axes' titles with their units: `y` along the left edge, `x` under the x ticks.
    pub fn axis_titles(&self, y: &str, x: &str) -> String {
        let mid = (TOP + self.bottom()) / 2.0;
        format!(
            r#"<text transform="translate(11,{mid:.1}) rotate(-90)" text-anchor="middle" class="tick axis">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick axis">{}</text>"#,
            escape(y),
            (LEFT + WIDTH - RIGHT) / 2.0,
            self.bottom() + 34.0,
            escape(x)
        )
    }

    /// An x tick with a label at data x `v`.
    pub fn x_tick(&self, v: f64, label: &str) -> String {
        let x = self.x(v);
        format!(
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#999"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"##,
            self.bottom(),
            self.bottom() + 4.0,
            self.bottom() + 18.0,
            escape(label)
        )
    }

    pub fn polyline(&self, points: &[(f64, f64)], color: &str, width: f64, dash: bool) -> String {
        if points.is_empty() {
            return String::new();
        }
        let d: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", self.x(x), self.y(y)))
            .collect();
        format!(
            r#"<polyline class="series" fill="none" stroke="{color}" stroke-width="{width}"{} points="{}"/>"#,
            if dash {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            },
            d.join(" ")
        )
    }

    /// The area between `low` and `high` at each x.
    pub fn band(&self, points: &[(f64, f64, f64)], color: &str) -> String {
        if points.is_empty() {
            return String::new();
        }
        let mut d: Vec<String> = points
            .iter()
            .map(|&(x, _, hi)| format!("{:.1},{:.1}", self.x(x), self.y(hi)))
            .collect();
        d.extend(
            points
                .iter()
                .rev()
                .map(|&(x, lo, _)| format!("{:.1},{:.1}", self.x(x), self.y(lo))),
        );
        format!(
            r#"<polygon class="series" fill="{color}" fill-opacity="0.25" stroke="none" points="{}"/>"#,
            d.join(" ")
        )
    }

    /// A shaded span of x, its label in the top margin (never over the points).
    pub fn shade(&self, from: f64, to: f64, color: &str, label: &str) -> String {
        let (a, b) = (self.x(from), self.x(to));
        format!(
            r#"<rect x="{a:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="{color}" fill-opacity="0.12"/><text x="{:.1}" y="{:.1}" class="tick">{}</text>"#,
            (b - a).max(1.0),
            self.bottom() - TOP,
            a + 2.0,
            TOP - 9.0,
            escape(label)
        )
    }

    /// A dashed level across the plot, its label in the top margin at the right, in its colour.
    pub fn hline(&self, y: f64, color: &str, label: &str) -> String {
        let py = self.y(y);
        format!(
            r#"<line x1="{LEFT}" x2="{:.1}" y1="{py:.1}" y2="{py:.1}" stroke="{color}" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick" fill="{color}">{}</text>"#,
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            TOP - 9.0,
            escape(label)
        )
    }

    /// A point with a vertical whisker from `lo` to `hi`.
    pub fn whisker(&self, x: f64, y: f64, lo: f64, hi: f64, color: &str, title: &str) -> String {
        let px = self.x(x);
        format!(
            r#"<g class="series"><title>{}</title><line x1="{px:.1}" x2="{px:.1}" y1="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/><circle cx="{px:.1}" cy="{:.1}" r="3.5" fill="{color}"/></g>"#,
            escape(title),
            self.y(lo),
            self.y(hi),
            self.y(y)
        )
    }

    pub fn dot(&self, x: f64, y: f64, color: &str, title: &str) -> String {
        format!(
            r#"<circle class="series" cx="{:.1}" cy="{:.1}" r="3.5" fill="white" stroke="{color}" stroke-width="2"><title>{}</title></circle>"#,
            self.x(x),
            self.y(y),
            escape(title)
        )
    }
}

/// A legend line of coloured swatches.
pub fn legend(items: &[(&str, &str)]) -> String {
    let mut s = String::from(r#"<div class="legend">"#);
    for (color, label) in items {
        let _ = write!(
            s,
            r#"<span><i style="background:{color}"></i>{}</span>"#,
            escape(label)
        );
    }
    s.push_str("</div>");
    s
}

/// 1, 2 or 5 × 10ⁿ at or above `v`: a tick step.
pub fn nice_step(v: f64) -> f64 {
    let v = v.max(1e-12);
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v - 1e-12 {
            return m * p;
        }
    }
    10.0 * p
}

/// 1, 2, 2.5, 5 × 10ⁿ at or above `v`.
pub fn nice_ceiling(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= v - 1e-12 {
            return m * p;
        }
    }
    10.0 * p
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub use crate::figures::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_numbers() {
        assert_eq!(nice_ceiling(73.0), 100.0);
        assert_eq!(nice_ceiling(0.83), 1.0);
        assert_eq!(nice_ceiling(2100.0), 2500.0);
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let f = Frame::new(200.0, 0.0, 10.0, 90.0);
        assert_eq!(f.y1, 100.0);
        // Ticks on round numbers: 0, 100, 200, 300 for 250 (not 62.5, 125, 187.5).
        let g = Frame::new(200.0, 0.0, 10.0, 250.0);
        assert_eq!((g.step, g.y1), (100.0, 300.0));
        let svg = g.open("t", "t", |v| format!("{v:.0}"));
        for t in [">0<", ">100<", ">200<", ">300<"] {
            assert!(svg.contains(t), "{t}: {svg}");
        }
        assert!(!svg.contains(">63<") && !svg.contains(">125<"));
        assert_eq!(Frame::new(200.0, 0.0, 10.0, 1.0).from_y(0.5).step, 0.2);
        assert!((f.x(0.0) - LEFT).abs() < 1e-9);
        assert!((f.y(0.0) - f.bottom()).abs() < 1e-9);
    }
}
