//! Line and band charts drawn on the server as SVG (no script): a history and a forecast per
//! period with its prediction intervals as shaded bands, optionally history as bars. Like
//! [`super::chart`], labels are escaped, the chart has a title and a description for screen
//! readers, and the figures it draws are in a table beside it on each page.

use std::fmt::Write;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A line through the points, a dot on each.
    Line,
    /// A dashed line (a forecast).
    Dashed,
    /// Bars (a history of amounts).
    Bars,
}

/// One series: a value per period (`None` where it has none).
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend and the points' tooltips.
    pub name: String,
    /// CSS class of its marks (colours are in the stylesheet: no inline style under the CSP).
    pub class: &'static str,
    pub mark: Mark,
    pub values: Vec<Option<f64>>,
}

/// A shaded band between two bounds per period (a prediction interval).
#[derive(Debug, Clone)]
pub struct Band {
    pub name: String,
    pub class: &'static str,
    /// `(lower, upper)` per period.
    pub bounds: Vec<Option<(f64, f64)>>,
}

/// A chart: periods along x, bands under series.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Unique on the page (the title's and description's ids derive from it).
    pub id: String,
    pub title: String,
    /// What the chart shows, in words (read by screen readers).
    pub description: String,
    /// One label per period.
    pub labels: Vec<String>,
    pub bands: Vec<Band>,
    pub series: Vec<Series>,
    /// Decimals shown in the points' tooltips.
    pub decimals: usize,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The plot area and value range of a chart.
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    slot: f64,
    min: f64,
    max: f64,
}

impl Frame {
    fn x(&self, i: usize) -> f64 {
        self.left + self.slot * (i as f64 + 0.5)
    }

    fn y(&self, v: f64) -> f64 {
        let v = if v.is_finite() { v } else { 0.0 };
        self.top + self.height * (1.0 - (v - self.min) / (self.max - self.min))
    }
}

/// The value range over every finite value drawn, always including 0, never empty.
fn range(chart: &Chart) -> (f64, f64) {
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .chain(
            chart
                .bands
                .iter()
                .flat_map(|b| b.bounds.iter().flatten().flat_map(|(l, u)| [*l, *u])),
        )
        .filter(|v| v.is_finite());
    let (mut min, mut max) = (0.0_f64, 0.0_f64);
    for v in values {
        min = min.min(v);
        max = max.max(v);
    }
    if max - min < 1e-12 {
        max = min + 1.0;
    }
    (min, max + (max - min) * 0.05)
}

/// Runs of consecutive periods where `has(i)` holds (a line or band breaks at a gap).
fn runs(n: usize, has: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    for i in 0..n {
        if has(i) {
            current.push(i);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn draw_band(svg: &mut String, f: &Frame, band: &Band) {
    let at = |i: usize| {
        band.bounds
            .get(i)
            .copied()
            .flatten()
            .filter(|(l, u)| l.is_finite() && u.is_finite())
    };
    for run in runs(band.bounds.len(), |i| at(i).is_some()) {
        let mut pts: Vec<String> = Vec::new();
        for &i in &run {
            let (_, u) = at(i).unwrap_or_default();
            pts.push(format!("{:.1},{:.1}", f.x(i), f.y(u)));
        }
        for &i in run.iter().rev() {
            let (l, _) = at(i).unwrap_or_default();
            pts.push(format!("{:.1},{:.1}", f.x(i), f.y(l)));
        }
        let _ = write!(
            svg,
            r#"<polygon class="band {}" points="{}"><title>{}</title></polygon>"#,
            band.class,
            pts.join(" "),
            escape(&band.name)
        );
    }
}

fn point_title(chart: &Chart, s: &Series, i: usize, v: f64) -> String {
    let label = chart.labels.get(i).map(String::as_str).unwrap_or("");
    escape(&format!(
        "{} {label}: {:.*}",
        s.name,
        chart.decimals,
        if v.is_finite() { v } else { 0.0 }
    ))
}

fn draw_series(svg: &mut String, f: &Frame, chart: &Chart, s: &Series) {
    // A non-finite value is drawn as no value (never NaN in the SVG).
    let at = |i: usize| s.values.get(i).copied().flatten().filter(|v| v.is_finite());
    let _ = write!(svg, r#"<g class="series {}">"#, s.class);
    if s.mark == Mark::Bars {
        let w = (f.slot * 0.6).max(1.0);
        let zero = f.y(0.0);
        for i in (0..s.values.len()).filter(|i| at(*i).is_some()) {
            let v = at(i).unwrap_or_default();
            let (y, h) = (f.y(v).min(zero), (f.y(v) - zero).abs());
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"><title>{}</title></rect>"#,
                f.x(i) - w / 2.0,
                point_title(chart, s, i, v)
            );
        }
    } else {
        for run in runs(s.values.len(), |i| at(i).is_some()) {
            let pts: Vec<String> = run
                .iter()
                .map(|&i| format!("{:.1},{:.1}", f.x(i), f.y(at(i).unwrap_or_default())))
                .collect();
            let _ = write!(svg, r#"<polyline points="{}"/>"#, pts.join(" "));
        }
        for i in (0..s.values.len()).filter(|i| at(*i).is_some()) {
            let v = at(i).unwrap_or_default();
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.5"><title>{}</title></circle>"#,
                f.x(i),
                f.y(v),
                point_title(chart, s, i, v)
            );
        }
    }
    svg.push_str("</g>");
}

/// Axis: a few value gridlines with their labels, and the period labels (thinned to fit).
fn draw_axes(svg: &mut String, f: &Frame, chart: &Chart, decimals: usize) {
    for k in 0..=4 {
        let v = f.min + (f.max - f.min) * f64::from(k) / 4.0;
        let y = f.y(v);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{v:.decimals$}</text>"#,
            f.left,
            f.left + f.width,
            f.left - 4.0,
            y + 4.0
        );
    }
    let n = chart.labels.len().max(1);
    let every = n.div_ceil(12).max(1);
    for (i, label) in chart
        .labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
    {
        let _ = write!(
            svg,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            f.x(i),
            f.top + f.height + 16.0,
            escape(label)
        );
    }
}

/// The legend: one swatch and name per band and series, under the axis.
fn draw_legend(svg: &mut String, chart: &Chart, y: f64) {
    let names = chart
        .bands
        .iter()
        .map(|b| (format!("band {}", b.class), b.name.as_str()))
        .chain(
            chart
                .series
                .iter()
                .map(|s| (format!("series {}", s.class), s.name.as_str())),
        );
    let mut x = 60.0;
    for (class, name) in names {
        let _ = write!(
            svg,
            r#"<g class="{class}"><rect class="swatch" x="{x:.1}" y="{:.1}" width="12" height="12"/></g><text class="legend" x="{:.1}" y="{y:.1}">{}</text>"#,
            y - 10.0,
            x + 16.0,
            escape(name)
        );
        x += 24.0 + 6.5 * name.chars().count() as f64;
    }
}

/// The chart as SVG, `width`×`height` pixels.
pub fn draw(chart: &Chart, width: u32, height: u32) -> String {
    let (tid, did) = (format!("{}-title", chart.id), format!("{}-desc", chart.id));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart band-chart" id="{}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{tid}" aria-describedby="{did}"><title id="{tid}">{}</title><desc id="{did}">{}</desc>"#,
        escape(&chart.id),
        escape(&chart.title),
        escape(&chart.description)
    );
    if chart.labels.is_empty() {
        svg.push_str(r#"<text x="10" y="20">No data</text></svg>"#);
        return svg;
    }
    let (min, max) = range(chart);
    let (left, top, bottom) = (56.0, 12.0, 48.0);
    let plot_w = f64::from(width) - left - 8.0;
    let frame = Frame {
        left,
        top,
        width: plot_w,
        height: f64::from(height) - top - bottom,
        slot: plot_w / chart.labels.len() as f64,
        min,
        max,
    };
    let axis_decimals = if max - min >= 10.0 { 0 } else { chart.decimals };
    draw_axes(&mut svg, &frame, chart, axis_decimals);
    for band in &chart.bands {
        draw_band(&mut svg, &frame, band);
    }
    for s in &chart.series {
        draw_series(&mut svg, &frame, chart, s);
    }
    draw_legend(&mut svg, chart, f64::from(height) - 8.0);
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            id: "c1".into(),
            title: "<b>t</b>".into(),
            description: "history then forecast".into(),
            labels: vec!["2025-01".into(), "2025-02".into(), "<x>".into()],
            bands: vec![Band {
                name: "80 %".into(),
                class: "b80",
                bounds: vec![None, Some((0.0, 10.0)), Some((0.0, 10.0))],
            }],
            series: vec![
                Series {
                    name: "History".into(),
                    class: "history",
                    mark: Mark::Line,
                    values: vec![Some(5.0), Some(5.0), None],
                },
                Series {
                    name: "Forecast".into(),
                    class: "forecast",
                    mark: Mark::Dashed,
                    values: vec![None, Some(5.0), Some(f64::NAN)],
                },
            ],
            decimals: 2,
        }
    }

    #[test]
    fn labels_are_escaped_and_ids_come_from_the_chart_id() {
        let svg = draw(&chart(), 300, 160);
        assert!(!svg.contains("<x>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;x&gt;") && svg.contains("&lt;b&gt;t&lt;/b&gt;"));
        assert!(svg.contains(r#"aria-labelledby="c1-title" aria-describedby="c1-desc""#));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn values_scale_to_the_range_and_bands_close_over_their_run() {
        // Plot: top 12, height 160 - 12 - 48 = 100; range 0..10.5 (5 % headroom).
        let svg = draw(&chart(), 300, 160);
        let f = Frame {
            left: 56.0,
            top: 12.0,
            width: 236.0,
            height: 100.0,
            slot: 236.0 / 3.0,
            min: 0.0,
            max: 10.5,
        };
        assert_eq!(format!("{:.1}", f.y(5.0)), "64.4");
        assert!(svg.contains(&format!(r#"cy="{:.1}""#, f.y(5.0))), "{svg}");
        // One band polygon of two periods: upper left→right, then lower right→left.
        let want = format!(
            "{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            f.x(1),
            f.y(10.0),
            f.x(2),
            f.y(10.0),
            f.x(2),
            f.y(0.0),
            f.x(1),
            f.y(0.0)
        );
        assert!(svg.contains(&want), "{svg}");
        assert!(svg.contains("Forecast 2025-02: 5.00"), "{svg}");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let mut c = chart();
        c.labels.clear();
        assert!(draw(&c, 300, 160).contains("No data"));
    }
}
