//! Operators' notice templates: a directory of overrides (`CLEARWAY_NOTICE_TEMPLATES`), read
//! and checked once at start — a syntax error, an unknown name or a template that drops a
//! required disclosure stops `serve` with one line, never a failed send later.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clearway_formats::notifications::Templates;

/// The overrides under `dir` as (name, source): names are paths relative to `dir` with `/`
/// separators, e.g. `layout.html` or `es/payment.sent.j2`.
fn read_dir(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(dir)
                .expect("walked under dir")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok((name, source))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The built-in templates with the overrides of `dir`, checked.
pub fn load(dir: &Path) -> Result<(Templates, usize)> {
    let overrides = read_dir(dir)?;
    if overrides.is_empty() {
        bail!("{}: no template files", dir.display());
    }
    let n = overrides.len();
    let templates = Templates::with_overrides(&overrides)
        .map_err(|e| anyhow::anyhow!("notice templates in {}: {e}", dir.display()))?;
    Ok((templates, n))
}

/// `clearway templates check DIR`: loads as `serve` would and says what it found.
pub fn check(dir: &Path) -> Result<()> {
    let (_, n) = load(dir)?;
    println!(
        "{n} template override(s) in {} checked: every notice kind renders in every locale with its required disclosures",
        dir.display()
    );
    Ok(())
}

/// `clearway templates names`: what can be overridden.
pub fn names() {
    for name in Templates::names() {
        println!("{name}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("clearway-tpl-{}", uuid_like()));
        for (name, body) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        dir
    }

    fn uuid_like() -> String {
        format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )
    }

    fn builtin_source(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../formats/templates/notifications")
            .join(name);
        std::fs::read_to_string(path).unwrap()
    }

    /// A copy of a built-in template loads; the same template with a syntax error, or with
    /// the disclosures dropped from the layout, is refused at load, naming the template.
    #[test]
    fn overrides_are_checked_at_load() {
        let good = builtin_source("en/payment.sent.j2")
            .replace("your payment is on its way", "your payment has left");
        let dir = dir_with(&[("en/payment.sent.j2", &good)]);
        let (_, n) = load(&dir).unwrap();
        assert_eq!(n, 1);

        let broken = good.replace("{% endblock %}", "{% endblok %}");
        let dir = dir_with(&[("en/payment.sent.j2", &broken)]);
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("en/payment.sent.j2"), "{e}");

        let layout = builtin_source("layout.html");
        // An operator "tidies" the past-performance legend away: refused, naming why.
        let stripped = layout.replace("<p>{{ disclosures.past_performance }}</p>", "");
        assert_ne!(stripped, layout, "the layout carries the legend");
        let dir = dir_with(&[("layout.html", &stripped)]);
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.to_lowercase().contains("past"), "{e}");

        let dir = dir_with(&[("en/no-such-kind.j2", "x")]);
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("no-such-kind"), "{e}");
    }
}
