//! The streamed readers (BAI2, MT940/MT942, camt) on real files: each statement starts before
//! its lines and ends once; what a start says of a statement (stored before its lines) is what
//! its end says; and the events collected are what `read_file` reads.

use std::path::Path;

use clearway_formats::statements::{
    self, decode, events, FileFormat, SheetOptions, Statement, StatementEvent,
};

mod support;

/// Checks the stream of one file; returns the number of statements it read.
fn check(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display();
    let Ok(format) = statements::file_format(&bytes, None) else {
        return 0;
    };
    let decoded = decode(&bytes);
    let Some(stream) = statements::stream_text(&decoded.text, format) else {
        return 0;
    };
    let events: Vec<_> = stream.collect();
    let whole = statements::read_file(&bytes, Some(format), &SheetOptions::default());
    let (Ok(whole), None) = (&whole, events.iter().find_map(|e| e.as_ref().err())) else {
        // Refused: refused alike, with the same words.
        let streamed = events::collect(events.clone()).and_then(|v| {
            v.is_empty()
                .then_some(())
                .ok_or(statements::StatementError::Empty)
        });
        assert_eq!(
            whole.err().map(|e| e.to_string()),
            streamed.err().map(|e| e.to_string()),
            "{name}"
        );
        return 0;
    };
    let mut heads: Vec<Statement> = Vec::new();
    let mut ended: Vec<bool> = Vec::new();
    for e in events.iter().flatten() {
        match e {
            StatementEvent::Start(st) => {
                assert!(st.lines.is_empty(), "{name}: a head without lines");
                heads.push(st.clone());
                ended.push(false);
            }
            StatementEvent::Line(i, _) => {
                assert!(
                    *i < heads.len() && !ended[*i],
                    "{name}: line of statement {i}"
                )
            }
            StatementEvent::End(i, end) => {
                assert!(
                    *i < heads.len() && !ended[*i],
                    "{name}: end of statement {i}"
                );
                ended[*i] = true;
                let h = &heads[*i];
                let head = |s: &Statement| {
                    (
                        s.format,
                        s.account_id.clone(),
                        s.currency.clone(),
                        s.reference.clone(),
                        s.statement_number.clone(),
                        s.line,
                    )
                };
                assert_eq!(head(h), head(end), "{name}: statement {i}");
            }
        }
    }
    assert!(ended.iter().all(|e| *e), "{name}: every statement ends");
    let mut collected = events::collect(events).unwrap();
    for st in &mut collected {
        st.encoding = Some(decoded.encoding.to_string());
        st.warnings.extend(decoded.warning.clone());
    }
    assert_eq!(collected, whole.statements, "{name}");
    if format == FileFormat::Bai2 {
        assert_eq!(whole.format, FileFormat::Bai2);
    }
    collected.len()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| {
            ["bai2", "sta", "940", "swi", "txt", "xml"].contains(&e.to_str().unwrap_or(""))
        }) {
            out.push(p);
        }
    }
}

#[test]
fn own_fixtures_stream_as_they_read() {
    let mut all = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/statements"),
        &mut all,
    );
    let read: usize = all.iter().map(|p| check(p)).sum();
    assert!(read >= 5, "{read} statements");
}

#[test]
fn third_party_samples_stream_as_they_read() {
    let Some(dir) = support::find() else { return };
    let mut all = Vec::new();
    for sub in ["bai2", "mt940", "iso20022"] {
        files(&dir.join(sub), &mut all);
    }
    let read: usize = all.iter().map(|p| check(p)).sum();
    assert!(read >= 50, "{read} statements");
}
