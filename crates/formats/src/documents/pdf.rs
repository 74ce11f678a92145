//! PDF: US Letter pages in PDF/A-2b, text in DejaVu Sans (embedded as a subset, so the text
//! is extractable and every Latin name renders). The layout is first cut into pages of
//! positioned text and rules (pure arithmetic on the font's advances), then drawn.

use std::sync::LazyLock;

use chrono::Datelike;

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::layout::{Block, Layout, Value};
use super::DocumentError;

static REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// A font and the advance of each character it may meet, per em.
struct Face {
    font: Font,
    /// Advances of U+0000..U+2200 (Latin, punctuation, dashes, bullets).
    advances: Vec<f32>,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Face {
        let font = Font::new(bytes.into(), 0).expect("the embedded DejaVu Sans parses");
        let face = FontRef::new(bytes).expect("the embedded DejaVu Sans parses");
        let upem = f32::from(
            face.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let charmap = face.charmap();
        let metrics = face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let advances = (0u32..0x2200)
            .map(|c| {
                let gid = char::from_u32(c).and_then(|c| charmap.map(c));
                gid.and_then(|g| metrics.advance_width(g)).unwrap_or(0.0) / upem
            })
            .collect();
        Face { font, advances }
    }

    /// Width of `text` at `size` points (unknown characters count as a wide one).
    fn width(&self, text: &str, size: f32) -> f32 {
        let ems: f32 = text
            .chars()
            .map(|c| self.advances.get(c as usize).copied().unwrap_or(1.0))
            .sum();
        ems * size
    }
}

static FACES: LazyLock<[Face; 2]> = LazyLock::new(|| [Face::load(REGULAR), Face::load(BOLD)]);

const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const MARGIN: f32 = 54.0;
const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;
const HEADING: f32 = 11.5;
const TITLE: f32 = 17.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Where fact values start (text) or end (amounts).
const VALUE_X: f32 = MARGIN + 230.0;
const VALUE_END: f32 = MARGIN + 430.0;

/// One drawing operation; `y` is the text baseline (from the top of the page).
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Rule {
        x: f32,
        y: f32,
        w: f32,
    },
}

/// Cuts content into pages, top to bottom.
struct Pager {
    pages: Vec<Vec<Op>>,
    /// Top of the next line.
    y: f32,
}

impl Pager {
    fn new() -> Pager {
        Pager {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn room(&mut self, height: f32) {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("one page at least").push(op);
    }

    /// Text with its left edge at `x` on the current line.
    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        if !text.is_empty() {
            let y = self.y + size;
            self.push(Op::Text {
                x,
                y,
                size,
                bold,
                text: text.to_string(),
            });
        }
    }

    /// Text ending at `right` on the current line.
    fn text_right(&mut self, right: f32, size: f32, bold: bool, text: &str) {
        let w = FACES[usize::from(bold)].width(text, size);
        self.text(right - w, size, bold, text);
    }

    /// A paragraph wrapped to `width`, each line on its own (page-breaking) line.
    fn paragraph(&mut self, size: f32, text: &str, width: f32) {
        for line in wrap(text, size, width) {
            self.room(size * 1.4);
            self.text(MARGIN, size, false, &line);
            self.y += size * 1.4;
        }
    }
}

/// Greedy word wrap of `text` to `width` points.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let face = &FACES[0];
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && face.width(&candidate, size) > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cut with an ellipsis to fit `width` points.
fn fit(text: &str, size: f32, bold: bool, width: f32) -> String {
    let face = &FACES[usize::from(bold)];
    if face.width(text, size) <= width {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && face.width(&format!("{out}…"), size) > width {
        out.pop();
    }
    format!("{out}…")
}

fn facts(p: &mut Pager, facts: &[(String, Value)]) {
    for (label, v) in facts {
        p.room(BODY * 1.5);
        p.text(
            MARGIN,
            BODY,
            false,
            &fit(label, BODY, false, VALUE_X - MARGIN - 8.0),
        );
        let shown = v.display();
        if v.is_numeric() {
            p.text_right(VALUE_END, BODY, false, &shown);
        } else {
            p.text(
                VALUE_X,
                BODY,
                false,
                &fit(&shown, BODY, false, PAGE_W - MARGIN - VALUE_X),
            );
        }
        p.y += BODY * 1.5;
    }
}

/// Column widths: each column's widest content, scaled to the content width.
fn columns(headers: &[String], rows: &[Vec<Value>]) -> Vec<f32> {
    let natural: Vec<f32> = (0..headers.len())
        .map(|c| {
            let head = FACES[1].width(&headers[c], SMALL);
            let cells = rows.iter().filter_map(|r| r.get(c));
            let widest = cells
                .map(|v| FACES[0].width(&v.display(), SMALL))
                .fold(head, f32::max);
            widest + 10.0
        })
        .collect();
    let total: f32 = natural.iter().sum();
    natural.iter().map(|w| w * CONTENT_W / total).collect()
}

fn table_row(p: &mut Pager, widths: &[f32], cells: &[(String, bool)], bold: bool) {
    p.room(SMALL * 1.6);
    let mut x = MARGIN;
    for ((text, right), w) in cells.iter().zip(widths) {
        let shown = fit(text, SMALL, bold, w - 6.0);
        if *right {
            p.text_right(x + w - 6.0, SMALL, bold, &shown);
        } else {
            p.text(x, SMALL, bold, &shown);
        }
        x += w;
    }
    p.y += SMALL * 1.6;
}

fn table(p: &mut Pager, headers: &[String], rows: &[Vec<Value>]) {
    let widths = columns(headers, rows);
    let numeric: Vec<bool> = (0..headers.len())
        .map(|c| rows.iter().any(|r| r.get(c).is_some_and(Value::is_numeric)))
        .collect();
    let head: Vec<(String, bool)> = headers
        .iter()
        .cloned()
        .zip(numeric.iter().copied())
        .collect();
    table_row(p, &widths, &head, true);
    p.push(Op::Rule {
        x: MARGIN,
        y: p.y - SMALL * 0.3,
        w: CONTENT_W,
    });
    for r in rows {
        let cells: Vec<(String, bool)> = r.iter().map(|v| (v.display(), v.is_numeric())).collect();
        table_row(p, &widths, &cells, false);
    }
}

/// The layout cut into pages of operations.
fn paginate(layout: &Layout) -> Vec<Vec<Op>> {
    let mut p = Pager::new();
    p.text(MARGIN, TITLE, true, &layout.title);
    p.y += TITLE * 1.6;
    p.paragraph(BODY, &layout.subtitle, CONTENT_W);
    for s in &layout.sections {
        p.y += BODY;
        p.room(HEADING * 1.5 + BODY * 3.0);
        p.text(MARGIN, HEADING, true, &s.heading);
        p.y += HEADING * 1.6;
        match &s.block {
            Block::Facts(f) => facts(&mut p, f),
            Block::Table { headers, rows } => table(&mut p, headers, rows),
            Block::Text(t) => p.paragraph(BODY, t, CONTENT_W),
        }
    }
    p.y += BODY;
    p.room(HEADING * 1.5 + BODY * 3.0);
    p.text(MARGIN, HEADING, true, &layout.disclosures_heading);
    p.y += HEADING * 1.6;
    for d in &layout.disclosures {
        p.paragraph(SMALL + 0.5, d, CONTENT_W);
        p.y += SMALL * 0.6;
    }
    p.pages
}

fn settings() -> Result<SerializeSettings, DocumentError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))?;
    Ok(SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    })
}

/// The layout as PDF/A-2b bytes. No creation date is written, so the same document gives the
/// same bytes (and content hash) every time.
pub fn write(layout: &Layout) -> Result<Vec<u8>, DocumentError> {
    let mut doc = Document::new_with(settings()?);
    doc.set_metadata(
        Metadata::new()
            .title(layout.title.clone())
            .language(layout.lang.tag().to_string())
            .creator("Clearway".to_string())
            .creation_date(
                DateTime::new(layout.date.year() as u16)
                    .month(layout.date.month() as u8)
                    .day(layout.date.day() as u8),
            ),
    );
    for ops in paginate(layout) {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("Letter is a valid size");
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                } => {
                    let font = FACES[usize::from(bold)].font.clone();
                    let at = Point::from_xy(x, y);
                    surface.draw_text(at, font, size, &text, false, TextDirection::Auto);
                }
                Op::Rule { x, y, w } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(x, y, w, 0.6) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_within_the_width_and_keep_every_word() {
        let text = "Past performance does not guarantee future results. Distributions are not guaranteed and may vary.";
        let lines = wrap(text, 9.0, 150.0);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(FACES[0].width(l, 9.0) <= 150.0 || !l.contains(' '), "{l}");
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn text_too_wide_is_cut_with_an_ellipsis() {
        assert_eq!(fit("short", 8.0, false, 100.0), "short");
        let cut = fit("a very long fund name that cannot fit", 8.0, false, 60.0);
        assert!(
            cut.ends_with('…') && FACES[0].width(&cut, 8.0) <= 60.0,
            "{cut}"
        );
    }
}
