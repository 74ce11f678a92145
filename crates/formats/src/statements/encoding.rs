//! Which character encoding a statement file is in, and its text.
//!
//! Detected, in order: a byte-order mark (UTF-8, UTF-16LE, UTF-16BE); UTF-16 without one (an
//! ASCII first character next to a zero byte, as XML's detection does); an XML declaration's
//! `encoding=` (camt); valid UTF-8; else a single-byte code page: windows-1252 when the file
//! has bytes 0x80–0x9F (printable there, such as `€` or curly quotes, but C1 control codes in
//! ISO-8859-1 that no text uses), else ISO-8859-1. Anything but UTF-8 gets a warning on the
//! statement, because the guess between code pages can be wrong for a few letters.
//!
//! Hand-written rather than `encoding_rs`: five encodings need a 32-entry table and a few
//! lines, against a large crate (every WHATWG encoding) to compile.

use std::borrow::Cow;

/// Text decoded from a file, with what it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The text (a byte-order mark dropped).
    pub text: Cow<'a, str>,
    /// Encoding name: `UTF-8`, `UTF-16LE`, `UTF-16BE`, `windows-1252`, `ISO-8859-1`, `ISO-8859-15`.
    pub encoding: &'static str,
    /// Why it is worth a look when not plain UTF-8 (for the statement's warnings).
    pub warning: Option<String>,
}

/// windows-1252 at 0x80–0x9F; the five bytes it leaves undefined map to the C1 control of
/// the same value, as browsers do.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The eight places where ISO-8859-15 differs from ISO-8859-1.
const LATIN9: [(u8, char); 8] = [
    (0xA4, '€'),
    (0xA6, 'Š'),
    (0xA8, 'š'),
    (0xB4, 'Ž'),
    (0xB8, 'ž'),
    (0xBC, 'Œ'),
    (0xBD, 'œ'),
    (0xBE, 'Ÿ'),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Single {
    Cp1252,
    Latin1,
    Latin9,
}

impl Single {
    fn name(self) -> &'static str {
        match self {
            Single::Cp1252 => "windows-1252",
            Single::Latin1 => "ISO-8859-1",
            Single::Latin9 => "ISO-8859-15",
        }
    }

    fn char(self, b: u8) -> char {
        match (self, b) {
            (Single::Cp1252, 0x80..=0x9F) => CP1252_HIGH[usize::from(b - 0x80)],
            (Single::Latin9, _) => LATIN9
                .iter()
                .find(|(at, _)| *at == b)
                .map_or(char::from(b), |(_, c)| *c),
            _ => char::from(b),
        }
    }

    fn decode(self, bytes: &[u8]) -> String {
        bytes.iter().map(|&b| self.char(b)).collect()
    }
}

fn utf16(bytes: &[u8], little: bool) -> String {
    let units = bytes.chunks(2).map(|c| match (c, little) {
        ([a, b], true) => u16::from_le_bytes([*a, *b]),
        ([a, b], false) => u16::from_be_bytes([*a, *b]),
        // An odd last byte cannot be a character: it becomes U+FFFD below.
        _ => 0xD800,
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// The `encoding="…"` of an XML declaration at the start, lowercased.
fn xml_declared(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(200))?;
    let head = std::str::from_utf8(head.strip_prefix(b"<?xml")?)
        .ok()
        .or_else(|| {
            // The 200-byte cut may split a character; the declaration itself is ASCII.
            let end = head.iter().position(|&b| b >= 0x80).unwrap_or(head.len());
            std::str::from_utf8(&head[5..end]).ok()
        })?;
    let decl = &head[..head.find("?>")?];
    let rest = decl[decl.find("encoding")? + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_ascii_lowercase())
}

fn single_byte(bytes: &[u8]) -> Single {
    if bytes.iter().any(|b| (0x80..=0x9F).contains(b)) {
        Single::Cp1252
    } else {
        Single::Latin1
    }
}

fn decoded<'a>(text: Cow<'a, str>, encoding: &'static str, why: &str) -> Decoded<'a> {
    let warning = (encoding != "UTF-8").then(|| {
        format!("file is not UTF-8: read as {encoding} ({why}); check accented names and texts")
    });
    Decoded {
        text,
        encoding,
        warning,
    }
}

/// Detects the encoding of `bytes` and decodes them (see the module notes).
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        if let Ok(s) = std::str::from_utf8(rest) {
            return decoded(Cow::Borrowed(s), "UTF-8", "byte-order mark");
        }
        let s = String::from_utf8_lossy(rest).into_owned();
        let mut d = decoded(Cow::Owned(s), "UTF-8", "byte-order mark");
        d.warning = Some(
            "file has a UTF-8 byte-order mark but bytes that are not UTF-8 (shown as U+FFFD)"
                .into(),
        );
        return d;
    }
    match bytes {
        [0xFF, 0xFE, rest @ ..] => {
            return decoded(utf16(rest, true).into(), "UTF-16LE", "byte-order mark")
        }
        [0xFE, 0xFF, rest @ ..] => {
            return decoded(utf16(rest, false).into(), "UTF-16BE", "byte-order mark")
        }
        [a, 0, ..] if *a != 0 && a.is_ascii() => {
            return decoded(
                utf16(bytes, true).into(),
                "UTF-16LE",
                "zero bytes after ASCII",
            )
        }
        [0, a, ..] if *a != 0 && a.is_ascii() => {
            return decoded(
                utf16(bytes, false).into(),
                "UTF-16BE",
                "zero bytes before ASCII",
            )
        }
        _ => {}
    }
    let declared = xml_declared(bytes);
    let single = match declared.as_deref() {
        // Browsers read a declared Latin-1 as windows-1252: they differ only at 0x80–0x9F,
        // which Latin-1 text never uses.
        Some("iso-8859-1" | "latin1" | "latin-1" | "iso_8859-1") => Some(single_byte(bytes)),
        Some("windows-1252" | "cp1252") => Some(Single::Cp1252),
        Some("iso-8859-15" | "latin-9" | "latin9") => Some(Single::Latin9),
        _ => None,
    };
    if let Some(single) = single {
        let text = single.decode(bytes);
        return decoded(text.into(), single.name(), "the XML declaration");
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return decoded(Cow::Borrowed(s), "UTF-8", "");
    }
    let single = single_byte(bytes);
    let why = match (&declared, single) {
        (Some(d), _) => format!("declared {d} but not valid UTF-8"),
        (None, Single::Cp1252) => "not valid UTF-8; bytes 0x80-0x9F".to_string(),
        (None, _) => "not valid UTF-8; no bytes 0x80-0x9F".to_string(),
    };
    decoded(single.decode(bytes).into(), single.name(), &why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_has_no_warning() {
        let d = decode("Müller".as_bytes());
        assert_eq!(
            (d.text.as_ref(), d.encoding, d.warning),
            ("Müller", "UTF-8", None)
        );
        let d = decode("\u{feff}Müller".as_bytes());
        assert_eq!(
            (d.text.as_ref(), d.encoding, d.warning),
            ("Müller", "UTF-8", None)
        );
    }

    #[test]
    fn utf16_by_bom_or_zero_bytes() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Zoë €".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let d = decode(&le);
        assert_eq!((d.text.as_ref(), d.encoding), ("Zoë €", "UTF-16LE"));
        assert!(d.warning.unwrap().contains("UTF-16LE"));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Zoë".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be).text, "Zoë");
        let bare: Vec<u8> = "<?xml?>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode(&bare).text, "<?xml?>");
    }

    #[test]
    fn single_byte_code_pages_by_the_bytes_0x80_to_0x9f() {
        // 0x80 is € in windows-1252 (a C1 control in Latin-1); 0xE9 is é in both.
        let d = decode(b"Caf\xe9 \x80 5 \x93ok\x94");
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            ("Café € 5 “ok”", "windows-1252")
        );
        assert!(d.warning.unwrap().contains("windows-1252"));
        let d = decode(b"Caf\xe9 M\xfcller");
        assert_eq!((d.text.as_ref(), d.encoding), ("Café Müller", "ISO-8859-1"));
    }

    #[test]
    fn an_xml_declaration_names_the_encoding() {
        let d = decode(b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><a>\xa4</a>");
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            (
                "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><a>€</a>",
                "ISO-8859-15"
            )
        );
        let d = decode(b"<?xml version='1.0' encoding='iso-8859-1'?><a>\xe9</a>");
        assert_eq!(d.encoding, "ISO-8859-1");
        assert!(d.text.ends_with("<a>é</a>"));
        // Declared UTF-8 but it is not: read by the bytes, and the warning says so.
        let d = decode(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\xe9</a>");
        assert_eq!(d.encoding, "ISO-8859-1");
        assert!(d.warning.unwrap().contains("declared utf-8"));
        let d = decode("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>é</a>".as_bytes());
        assert_eq!((d.encoding, d.warning), ("UTF-8", None));
    }
}
