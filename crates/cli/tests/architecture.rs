//! The shape of the workspace, checked: within each crate the top-level modules import each
//! other without a circle (so no two capabilities depend on each other, directly or through a
//! third); SQL is written only in the store (and in benchmark baselines marked as such); the
//! store depends on no file format. A failure names the circle or the file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `src` belongs to (`payments` for `src/payments/rails/ach.rs`,
/// `state` for `src/state.rs`); `None` for the crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// Code lines of a file: comments and `#[cfg(test)]` modules left out (a unit test may
/// reach anywhere).
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if !t.starts_with("//") {
            out.push((i + 1, line));
        }
    }
    out
}

/// `crate::name` paths of a line.
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
        rest = after;
    }
    out
}

/// Edges between top-level modules of one crate, with the first line that makes each.
fn module_graph(src: &Path) -> BTreeMap<(String, String), String> {
    let modules: BTreeSet<String> = rust_files(src)
        .iter()
        .filter_map(|f| top_module(src, f))
        .collect();
    let mut edges = BTreeMap::new();
    for file in rust_files(src) {
        let Some(from) = top_module(src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source");
        for (n, line) in code_lines(&text) {
            for to in crate_paths(line) {
                if to != from && modules.contains(&to) {
                    edges
                        .entry((from.clone(), to))
                        .or_insert_with(|| format!("{}:{n}", file.display()));
                }
            }
        }
    }
    edges
}

/// A circle in the graph, as the modules around it, if there is one.
fn find_circle(edges: &BTreeMap<(String, String), String>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from.as_str()).or_default().push(to.as_str());
    }
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut circle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            circle.push(node.to_string());
            return Some(circle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for to in next.get(node).into_iter().flatten() {
            if let Some(c) = visit(to, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in next.keys() {
        if let Some(c) = visit(node, &next, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_circle_between_its_top_level_modules() {
    for krate in ["core", "formats", "store", "app", "server", "cli"] {
        let src = crates_dir().join(krate).join("src");
        let edges = module_graph(&src);
        if let Some(circle) = find_circle(&edges) {
            let lines: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    format!(
                        "{} -> {} ({})",
                        w[0],
                        w[1],
                        edges[&(w[0].clone(), w[1].clone())]
                    )
                })
                .collect();
            panic!("crates/{krate}: import circle\n  {}", lines.join("\n  "));
        }
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let mut edges = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges.insert((a.to_string(), b.to_string()), String::new());
    }
    assert_eq!(
        find_circle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    edges.remove(&("c".to_string(), "a".to_string()));
    assert_eq!(find_circle(&edges), None);
}

/// SQL statements begin with one of these words inside a string literal.
const SQL_WORDS: [&str; 5] = [
    "\"SELECT ",
    "\"INSERT ",
    "\"UPDATE ",
    "\"DELETE ",
    "\"COPY ",
];

/// The marker a benchmark baseline's SQL carries on its line or up to three lines above.
const BASELINE_MARK: &str = "benchmark baseline";

#[test]
fn sql_is_written_only_in_the_store() {
    let mut found = Vec::new();
    for krate in ["core", "formats", "app", "server", "cli"] {
        let src = crates_dir().join(krate).join("src");
        for file in rust_files(&src) {
            let text = std::fs::read_to_string(&file).expect("read source");
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in code_lines(&text) {
                // Statements are matched in any case, but COPY only as written in SQL (upper
                // case): "Copy B (For Recipient)" is a form's legend, not a statement.
                let upper = line.to_ascii_uppercase().replace("\"COPY ", "\"COPY_");
                let upper = if line.contains("\"COPY ") {
                    upper.replace("\"COPY_", "\"COPY ")
                } else {
                    upper
                };
                let marked = lines[n.saturating_sub(4)..n]
                    .iter()
                    .any(|l| l.contains(BASELINE_MARK));
                if SQL_WORDS.iter().any(|w| upper.contains(w)) && !marked {
                    found.push(format!("{}:{n}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside the store:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_depends_on_no_file_format() {
    let manifest = std::fs::read_to_string(crates_dir().join("store/Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("clearway-formats"),
        "crates/store/Cargo.toml depends on clearway-formats"
    );
}
