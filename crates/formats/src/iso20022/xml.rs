//! A small namespace-agnostic element tree over quick-xml's streaming reader, shared by the
//! ISO 20022 readers. Elements are keyed by local name (prefixes and namespaces dropped)
//! because banks emit every camt version, with and without prefixes, and the element names
//! we need are stable across versions.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// Deeper nesting than this is rejected: ISO 20022 messages nest < 20 levels, and a bound
/// keeps recursion (drop, search) safe on hostile input.
const MAX_DEPTH: usize = 64;

/// One element: local name, local-name attributes, trimmed text, children, source position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
    /// 1-based line of the start tag.
    pub line: usize,
    /// Byte range of the element in the input (start tag to end tag inclusive).
    pub span: (usize, usize),
}

/// A malformed document: 1-based line and what the XML parser said.
#[derive(Debug, Clone)]
pub(crate) struct XmlError {
    pub line: usize,
    pub message: String,
}

impl Node {
    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of local names through first matches.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, p| n.child(p))
    }

    /// Trimmed text at a path, `None` when absent or empty.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|n| n.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// Attribute value by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// First descendant (depth-first, self excluded) with this local name.
    pub fn find(&self, name: &str) -> Option<&Node> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.find(name)
            }
        })
    }
}

fn local(qname: &[u8]) -> String {
    let l = match qname.iter().rposition(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    String::from_utf8_lossy(l).into_owned()
}

/// Maps byte offsets to 1-based line numbers, counting newlines from the last offset asked
/// (offsets mostly grow as the document is read), so nothing per line is kept.
struct Lines<'a> {
    input: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(input: &'a str) -> Self {
        Lines {
            input,
            pos: 0,
            line: 1,
        }
    }

    fn line(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.input.len());
        if pos < self.pos {
            (self.pos, self.line) = (0, 1);
        }
        let newlines = self.input.as_bytes()[self.pos..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        (self.pos, self.line) = (pos, self.line + newlines);
        self.line
    }
}

fn open(e: &BytesStart<'_>, line: usize, start: usize) -> Result<Node, XmlError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| XmlError {
            line,
            message: format!("bad attribute: {err}"),
        })?;
        // Attribute-value normalization per XML 1.0 (the ISO 20022 schemas are XML 1.0).
        let v = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| XmlError {
                line,
                message: format!("bad attribute value: {err}"),
            })?;
        attrs.push((local(a.key.as_ref()), v.into_owned()));
    }
    Ok(Node {
        name: local(e.name().as_ref()),
        attrs,
        line,
        span: (start, start),
        ..Node::default()
    })
}

/// Parses a whole document into its root element.
pub(crate) fn parse(input: &str) -> Result<Node, XmlError> {
    let mut pull = Pull::new(input, |_: &[Node], _: &Node| false);
    loop {
        if let Pulled::Root(root) = pull.next()? {
            return Ok(root);
        }
    }
}

/// What [`Pull::next`] hands out.
#[derive(Debug)]
pub(crate) enum Pulled {
    /// An element the caller asked to detach, complete; it is not in its parent.
    Detached(Node),
    /// The root element, at the end of the document (without its detached elements).
    Root(Node),
}

/// A document read element by element: elements for which `detach(ancestors, element)` holds
/// are handed out as they close instead of being kept in their parent, so a large document
/// is read with one such element in memory at a time.
pub(crate) struct Pull<'a, F> {
    input: &'a str,
    reader: Reader<&'a [u8]>,
    lines: Lines<'a>,
    stack: Vec<Node>,
    root: Option<Node>,
    detach: F,
}

impl<'a, F: FnMut(&[Node], &Node) -> bool> Pull<'a, F> {
    pub(crate) fn new(input: &'a str, detach: F) -> Self {
        let mut reader = Reader::from_str(input);
        reader.config_mut().check_end_names = true;
        Pull {
            input,
            reader,
            lines: Lines::new(input),
            stack: Vec::new(),
            root: None,
            detach,
        }
    }

    /// The open elements, outermost first, each with its children so far.
    pub(crate) fn open(&self) -> &[Node] {
        &self.stack
    }

    /// The next detached element, or the root once the document is read.
    pub(crate) fn next(&mut self) -> Result<Pulled, XmlError> {
        loop {
            if let Some(done) = self.step()? {
                return Ok(done);
            }
        }
    }

    /// A closed element: detached, or kept in its parent, or the root.
    fn close(&mut self, n: Node) -> Option<Pulled> {
        if self.stack.is_empty() {
            self.root = Some(n);
        } else if (self.detach)(&self.stack, &n) {
            return Some(Pulled::Detached(n));
        } else if let Some(p) = self.stack.last_mut() {
            p.children.push(n);
        }
        None
    }

    fn step(&mut self) -> Result<Option<Pulled>, XmlError> {
        let before = self.reader.buffer_position() as usize;
        let ev = match self.reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = self.reader.error_position() as usize;
                return Err(XmlError {
                    line: self.lines.line(at),
                    message: e.to_string(),
                });
            }
        };
        let here = self.lines.line(before);
        let err = |message: String| XmlError {
            line: here,
            message,
        };
        match ev {
            Event::Start(e) | Event::Empty(e) if self.root.is_some() => {
                return Err(err(format!(
                    "element <{}> after the root element",
                    local(e.name().as_ref())
                )));
            }
            Event::Start(e) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(err(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                self.stack.push(open(&e, here, before)?);
            }
            Event::Empty(e) => {
                let mut n = open(&e, here, before)?;
                n.span.1 = self.reader.buffer_position() as usize;
                return Ok(self.close(n));
            }
            Event::End(_) => {
                // check_end_names guarantees a matching open element.
                let Some(mut n) = self.stack.pop() else {
                    return Err(err("unexpected end tag".into()));
                };
                n.text = n.text.trim().to_string();
                n.span.1 = self.reader.buffer_position() as usize;
                return Ok(self.close(n));
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|e| err(e.to_string()))?;
                push_text(&mut self.stack, &s, || {
                    err("text outside the root element".into())
                })?;
            }
            Event::CData(t) => {
                let s = t.xml10_content().map_err(|e| err(e.to_string()))?;
                push_text(&mut self.stack, &s, || {
                    err("CDATA outside the root element".into())
                })?;
            }
            Event::GeneralRef(r) => {
                let s: Cow<'_, str> = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => Cow::Owned(c.to_string()),
                        _ => return Err(err("invalid character reference".into())),
                    }
                } else {
                    let name = r.decode().map_err(|e| err(e.to_string()))?;
                    match resolve_predefined_entity(&name) {
                        Some(v) => Cow::Borrowed(v),
                        None => return Err(err(format!("unknown entity &{name};"))),
                    }
                };
                push_text(&mut self.stack, &s, || {
                    err("reference outside the root element".into())
                })?;
            }
            Event::Eof => return self.end().map(Some),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
        Ok(None)
    }

    /// At the end of the input: the root, if the document is complete.
    fn end(&mut self) -> Result<Pulled, XmlError> {
        if let Some(open) = self.stack.last() {
            return Err(XmlError {
                line: self.lines.line(self.input.len()),
                message: format!(
                    "unclosed element <{}> (opened at line {})",
                    open.name, open.line
                ),
            });
        }
        self.root.take().map(Pulled::Root).ok_or(XmlError {
            line: 1,
            message: "no root element".into(),
        })
    }
}

fn push_text(
    stack: &mut [Node],
    s: &str,
    outside: impl FnOnce() -> XmlError,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(n) => {
            n.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(outside()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_entities_and_lines() {
        let doc = "<?xml version=\"1.0\"?>\n<a:Doc xmlns:a=\"urn:x\">\n <a:B Ccy=\"EUR\"> x &amp; y&#33; </a:B>\n<C/></a:Doc>";
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Doc");
        let b = root.child("B").unwrap();
        assert_eq!(b.text, "x & y!");
        assert_eq!(b.attr("Ccy"), Some("EUR"));
        assert_eq!(b.line, 3);
        assert_eq!(
            &doc[b.span.0..b.span.1],
            "<a:B Ccy=\"EUR\"> x &amp; y&#33; </a:B>"
        );
        assert_eq!(root.child("C").unwrap().line, 4);
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("<a>&bogus;</a>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
