//! Charts drawn on the server as SVG (no script, no library): bars for amounts per period.
//! Every label is escaped; the chart carries a title and a text description for screen
//! readers, and the figures it draws are also in the table beside it on each page.

use std::fmt::Write;

/// One bar: its label and value (minor units or any integer measure).
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label under the bar.
    pub label: String,
    /// Height measure (negative values are drawn as zero height).
    pub value: i64,
    /// The value as shown above the bar.
    pub shown: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A bar chart `width`×`height` pixels titled `title`.
pub fn bars(title: &str, bars: &[Bar], width: u32, height: u32) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title"><title id="chart-title">{}</title>"#,
        escape(title)
    );
    if bars.is_empty() {
        let _ = write!(svg, r#"<text x="10" y="20">No data</text></svg>"#);
        return svg;
    }
    let max = bars
        .iter()
        .map(|b| b.value.max(0))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (top, bottom, left) = (24.0, 40.0, 8.0);
    let plot_h = f64::from(height) - top - bottom;
    let slot = (f64::from(width) - 2.0 * left) / bars.len() as f64;
    let bar_w = (slot * 0.7).max(1.0);
    for (i, b) in bars.iter().enumerate() {
        // Drawing only: the figures themselves are exact in the table.
        let h = (b.value.max(0) as f64 / max) * plot_h;
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = top + plot_h - h;
        let _ = write!(
            svg,
            r#"<g><rect class="bar" x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}"><title>{}: {}</title></rect>"#,
            escape(&b.label),
            escape(&b.shown)
        );
        let cx = x + bar_w / 2.0;
        let _ = write!(
            svg,
            r#"<text class="label" x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"#,
            f64::from(height) - bottom + 16.0,
            escape(&b.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars(
            "<b>t</b>",
            &[
                Bar {
                    label: "<script>".into(),
                    value: 100,
                    shown: "1.00".into(),
                },
                Bar {
                    label: "b".into(),
                    value: 50,
                    shown: "0.50".into(),
                },
            ],
            200,
            140,
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("&lt;b&gt;t&lt;/b&gt;"));
        // Plot height 140 - 24 - 40 = 76: the largest bar is full height, the other half.
        assert!(svg.contains(r#"height="76.0""#), "{svg}");
        assert!(svg.contains(r#"height="38.0""#), "{svg}");
    }
}
