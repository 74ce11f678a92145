//! Investor notices rendered from templates: email (HTML and plain text), SMS and in-app.
//!
//! # Layout of the templates (`crates/formats/templates/notifications/`)
//! - `layout.html`, `layout.txt`, `layout.in_app.txt`: one layout per part, holding the fact
//!   tables, the portal and unsubscribe links and the locked disclosure block.
//! - `<locale>/<event kind>.j2`: per kind and locale, the blocks `subject`, `greeting`, `body`
//!   (plain-text paragraphs separated by blank lines), `sms` and `in_app_title`. Kind files
//!   are plain text: only `layout.html` writes HTML and it escapes every value.
//!
//! Every figure reaches the templates formatted ([`format_money`], [`format_date`]). Rendering
//! fails closed: each disclosure [`required_disclosures`] names must appear word for word in
//! the HTML (in its escaped form), the text and the in-app body, or there is no notice.
//! Overrides are refused at load when any kind and locale, rendered against fixture contexts
//! (one with return of capital), would lack one.
//!
//! The SMS carries none of the long disclosures (they do not fit a text message): it says
//! what happened and the amount, and links to the full notice, disclosures included, in the
//! portal.
//!
//! [`required_disclosures`]: clearway_core::notifications::required_disclosures

mod builtin;
mod fixtures;
mod format;
mod labels;
mod view;

#[cfg(test)]
mod tests;

use clearway_core::notifications::greeting::check_model_paragraph;
use clearway_core::notifications::{Disclosure, EventKind, Locale, NoticeContext};
use minijinja::value::Serde;
use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, HtmlEscape, UndefinedBehavior, Value};

use builtin::BUILTIN;
pub use fixtures::sample_context;
pub use format::{format_date, format_decimal, format_money, format_price};

/// Longest SMS, in characters (two concatenated segments).
pub const SMS_MAX_CHARS: usize = 320;

const HTML_LAYOUT: &str = "layout.html";
const TEXT_LAYOUT: &str = "layout.txt";
const IN_APP_LAYOUT: &str = "layout.in_app.txt";

/// A rendered notice, every part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedNotice {
    /// Email subject (one line).
    pub subject: String,
    /// Full HTML document, escaped, disclosures in it.
    pub html: String,
    /// Plain-text alternative, disclosures in it.
    pub text: String,
    /// Short: what happened, the amount, the portal link; at most [`SMS_MAX_CHARS`].
    pub sms: String,
    /// In-app title (one line).
    pub in_app_title: String,
    /// In-app body, plain text, disclosures in it.
    pub in_app_body: String,
}

/// A part of a notice that must carry the required disclosures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The HTML email.
    Html,
    /// The plain-text email.
    Text,
    /// The in-app body.
    InApp,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Html => "html",
            Part::Text => "text",
            Part::InApp => "inApp",
        })
    }
}

/// Why one notice could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A required disclosure is missing from a part (the template dropped it).
    #[error("the {part} part lacks the required {} disclosure", .disclosure.as_str())]
    MissingDisclosure {
        /// The disclosure.
        disclosure: Disclosure,
        /// Where it is missing.
        part: Part,
    },
    /// The SMS is too long.
    #[error("the SMS has {chars} characters (at most {SMS_MAX_CHARS})")]
    SmsTooLong {
        /// Its length.
        chars: usize,
    },
    /// The template failed while rendering (a missing block, an unknown variable…).
    #[error("template {name}: {message}")]
    Template {
        /// The template.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Why a set of templates is refused at load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// An override names no template we have.
    #[error("unknown template '{0}' (see Templates::names)")]
    Unknown(String),
    /// A template does not parse.
    #[error("template {name} has a syntax error: {message}")]
    Syntax {
        /// The template.
        name: String,
        /// The parser's message (with the line).
        message: String,
    },
    /// A kind and locale does not render correctly against a fixture context.
    #[error("the {kind} notice in {locale} is refused: {error}")]
    Refused {
        /// The event kind.
        kind: EventKind,
        /// The locale.
        locale: Locale,
        /// Why.
        error: RenderError,
    },
    /// The HTML shows the investor's name unescaped.
    #[error("the {kind} notice in {locale} does not escape the investor's name in HTML")]
    Unescaped {
        /// The event kind.
        kind: EventKind,
        /// The locale.
        locale: Locale,
    },
}

/// The notice templates, compiled.
pub struct Templates {
    env: Environment<'static>,
    /// The fixed words of each locale, converted once (they are the same in every notice).
    labels: [Value; 2],
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

/// The file of one kind in one locale.
fn kind_template(locale: Locale, kind: EventKind) -> String {
    format!("{}/{}.j2", locale.as_str(), kind.as_str())
}

impl Templates {
    /// The built-in templates (checked by a test; cannot fail at run time).
    pub fn builtin() -> Templates {
        Templates::compile(&[]).expect("the built-in templates compile")
    }

    /// The built-in templates with some replaced by (name, source) pairs, e.g. read by the
    /// server from a directory. Refused here, at load, when one has a syntax error, names an
    /// unknown template, or renders without a required disclosure for any kind/locale (each
    /// is rendered against fixture contexts, including one with return of capital).
    pub fn with_overrides(overrides: &[(String, String)]) -> Result<Templates, TemplateError> {
        let templates = Templates::compile(overrides)?;
        templates.check()?;
        Ok(templates)
    }

    /// The template names that can be overridden.
    pub fn names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(name, _)| *name).collect()
    }

    /// Compiles the built-ins with `overrides` in their place, without the fixture check.
    fn compile(overrides: &[(String, String)]) -> Result<Templates, TemplateError> {
        if let Some((name, _)) = overrides
            .iter()
            .find(|(n, _)| !BUILTIN.iter().any(|(b, _)| b == n))
        {
            return Err(TemplateError::Unknown(name.clone()));
        }
        let mut env = Environment::new();
        // Only the HTML layout writes markup; kind files and text layouts are plain text.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // A misspelt variable is an error at load (the fixtures render it), not a blank.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("default delimiters"),
        );
        for (name, builtin) in BUILTIN {
            let source = overrides
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map_or_else(|| builtin.to_string(), |(_, s)| s.clone());
            env.add_template_owned(name, source)
                .map_err(|e| TemplateError::Syntax {
                    name: name.to_string(),
                    message: e.to_string(),
                })?;
        }
        let labels = Locale::ALL.map(|l| Value::from(Serde(labels::labels(l))));
        Ok(Templates { env, labels })
    }

    /// Renders every kind and locale against the fixtures; refuses what fails or leaks markup.
    fn check(&self) -> Result<(), TemplateError> {
        for kind in EventKind::ALL {
            for locale in Locale::ALL {
                for with_roc in [false, true] {
                    let mut ctx = sample_context(kind, locale, with_roc);
                    ctx.investor_name = fixtures::MARKUP_PROBE.to_string();
                    let notice = self.render(&ctx).map_err(|error| TemplateError::Refused {
                        kind,
                        locale,
                        error,
                    })?;
                    if notice.html.contains(fixtures::MARKUP_PROBE_TAG) {
                        return Err(TemplateError::Unescaped { kind, locale });
                    }
                }
            }
        }
        Ok(())
    }

    /// Renders one notice; fails closed (RenderError::MissingDisclosure { disclosure, part })
    /// if any part that must carry the required disclosures lacks one.
    pub fn render(&self, ctx: &NoticeContext) -> Result<RenderedNotice, RenderError> {
        let (view, required) = view::build(ctx);
        let labels = self.labels[Locale::ALL
            .iter()
            .position(|l| *l == ctx.locale)
            .unwrap_or(0)]
        .clone();
        let value = with_entries(&Value::from(Serde(&view)), [("labels", labels)]);
        let name = kind_template(ctx.locale, ctx.kind);
        let blocks = self.kind_blocks(&name, &value, ctx.greeting.as_deref())?;
        let layout_ctx = with_entries(
            &value,
            [
                ("subject", Value::from(blocks.subject.as_str())),
                ("greeting", Value::from(blocks.greeting.as_str())),
                ("paragraphs", Value::from(paragraphs(&blocks.body))),
            ],
        );
        let notice = RenderedNotice {
            html: self.render_layout(HTML_LAYOUT, &layout_ctx)?,
            text: self.render_layout(TEXT_LAYOUT, &layout_ctx)?,
            in_app_body: self.render_layout(IN_APP_LAYOUT, &layout_ctx)?,
            subject: blocks.subject,
            sms: blocks.sms,
            in_app_title: blocks.in_app_title,
        };
        check_disclosures(&notice, &required, ctx.locale)?;
        let chars = notice.sms.chars().count();
        if chars > SMS_MAX_CHARS {
            return Err(RenderError::SmsTooLong { chars });
        }
        Ok(notice)
    }

    /// The blocks of one kind file; a model greeting replaces the template's when it passes
    /// the greeting rule again (the context promises it was checked; we do not rely on it).
    fn kind_blocks(
        &self,
        name: &str,
        value: &Value,
        model_greeting: Option<&str>,
    ) -> Result<KindBlocks, RenderError> {
        let err = |e: minijinja::Error| template_error(name, e);
        let template = self.env.get_template(name).map_err(err)?;
        let mut state = template.render_captured(value.clone()).map_err(err)?;
        let mut block = |b: &str| state.with_state_mut(|s| s.render_block(b)).map_err(err);
        let greeting = match model_greeting.and_then(|g| check_model_paragraph(g).ok()) {
            Some(g) => g,
            None => one_line(&block("greeting")?),
        };
        Ok(KindBlocks {
            subject: one_line(&block("subject")?),
            greeting,
            body: block("body")?,
            sms: one_line(&block("sms")?),
            in_app_title: one_line(&block("in_app_title")?),
        })
    }

    fn render_layout(&self, name: &str, ctx: &Value) -> Result<String, RenderError> {
        let err = |e: minijinja::Error| template_error(name, e);
        let out = self
            .env
            .get_template(name)
            .map_err(err)?
            .render(ctx)
            .map_err(err)?;
        Ok(format!("{}\n", out.trim()))
    }
}

struct KindBlocks {
    subject: String,
    greeting: String,
    body: String,
    sms: String,
    in_app_title: String,
}

/// `view` (a map) with more entries: a flat map, which templates read faster than a merge.
fn with_entries<const N: usize>(view: &Value, extra: [(&str, Value); N]) -> Value {
    let mut map: BTreeMap<Value, Value> = view
        .try_iter()
        .into_iter()
        .flatten()
        .map(|k| {
            let v = view.get_item(&k).unwrap_or_default();
            (k, v)
        })
        .collect();
    map.extend(extra.into_iter().map(|(k, v)| (Value::from(k), v)));
    Value::from(map)
}

fn template_error(name: &str, e: minijinja::Error) -> RenderError {
    RenderError::Template {
        name: name.to_string(),
        message: e.to_string(),
    }
}

/// Whitespace (line breaks included: subjects become headers) collapsed to single spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Paragraphs separated by blank lines, each on one line.
fn paragraphs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// Fails closed when a part lacks a required disclosure. HTML is searched for the text as
/// the layout's escaping writes it, so an unescaped or altered copy does not count.
fn check_disclosures(
    notice: &RenderedNotice,
    required: &[Disclosure],
    locale: Locale,
) -> Result<(), RenderError> {
    for &disclosure in required {
        let text = disclosure.text(locale);
        let escaped = HtmlEscape(text).to_string();
        let parts = [
            (Part::Html, notice.html.contains(&escaped)),
            (Part::Text, notice.text.contains(text)),
            (Part::InApp, notice.in_app_body.contains(text)),
        ];
        if let Some((part, _)) = parts.iter().find(|(_, found)| !found) {
            return Err(RenderError::MissingDisclosure {
                disclosure,
                part: *part,
            });
        }
    }
    Ok(())
}
