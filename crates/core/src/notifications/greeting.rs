//! The rule for a greeting paragraph written by a model: it may greet, nothing else. Numbers,
//! dates, amounts and disclosures come only from data and locked templates, so anything that
//! looks like one of them is refused and the notice keeps the template's own greeting.
//!
//! The rule is deliberately broad: "may", "march" and "once" are refused as month and number
//! words even where they are not meant so; a refused greeting costs nothing but the fallback.

/// Longest greeting, in characters.
pub const GREETING_MAX_CHARS: usize = 400;

/// Why a model-written greeting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Nothing left after trimming.
    #[error("the greeting is empty")]
    Empty,
    /// Longer than [`GREETING_MAX_CHARS`].
    #[error("the greeting is longer than {GREETING_MAX_CHARS} characters")]
    TooLong,
    /// More than one paragraph (a line or paragraph break).
    #[error("the greeting has a line break")]
    LineBreak,
    /// A control or invisible formatting character.
    #[error("the greeting has a control character")]
    ControlCharacter,
    /// A digit of any script.
    #[error("the greeting has a digit")]
    Digit,
    /// A currency sign (Unicode category Sc).
    #[error("the greeting has a currency sign")]
    CurrencySign,
    /// A percent sign.
    #[error("the greeting has a percent sign")]
    Percent,
    /// Markup or template characters (`<>{}`).
    #[error("the greeting has markup or template characters")]
    Markup,
    /// An ISO 4217 currency code written as a word (upper case).
    #[error("the greeting names the currency code {0}")]
    CurrencyCode(String),
    /// A month name or number word (English or Spanish).
    #[error("the greeting has the number or month word '{0}'")]
    NumberOrMonthWord(String),
    /// Words of a disclosure's key phrase (past performance, return of capital, tax).
    #[error("the greeting touches a disclosure ('{0}')")]
    DisclosurePhrase(&'static str),
}

/// Checks a model-written greeting; returns it trimmed, or why it is refused.
pub fn check_model_paragraph(text: &str) -> Result<String, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    if text.chars().count() > GREETING_MAX_CHARS {
        return Err(Refusal::TooLong);
    }
    text.chars().try_for_each(check_char)?;
    let words = words(text);
    check_words(&words)?;
    Ok(text.to_string())
}

fn check_char(c: char) -> Result<(), Refusal> {
    match c {
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
            Err(Refusal::LineBreak)
        }
        '%' | '\u{066A}' | '\u{FE6A}' | '\u{FF05}' | '\u{2030}' | '\u{2031}' => {
            Err(Refusal::Percent)
        }
        '<' | '>' | '{' | '}' | '\u{FF1C}' | '\u{FF1E}' | '\u{FF5B}' | '\u{FF5D}' => {
            Err(Refusal::Markup)
        }
        c if c.is_control() || is_invisible_format(c) => Err(Refusal::ControlCharacter),
        c if c.is_numeric() => Err(Refusal::Digit),
        c if is_currency_sign(c) => Err(Refusal::CurrencySign),
        _ => Ok(()),
    }
}

/// Zero-width and bidirectional controls, which could hide or reorder text.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Unicode general category Sc (Unicode 15.1).
pub fn is_currency_sign(c: char) -> bool {
    matches!(c,
        '\u{0024}' | '\u{00A2}'..='\u{00A5}' | '\u{058F}' | '\u{060B}' | '\u{07FE}'..='\u{07FF}'
        | '\u{09F2}'..='\u{09F3}' | '\u{09FB}' | '\u{0AF1}' | '\u{0BF9}' | '\u{0E3F}'
        | '\u{17DB}' | '\u{20A0}'..='\u{20C0}' | '\u{A838}' | '\u{FDFC}' | '\u{FE69}'
        | '\u{FF04}' | '\u{FFE0}'..='\u{FFE1}' | '\u{FFE5}'..='\u{FFE6}'
        | '\u{11FDD}'..='\u{11FE0}' | '\u{1E2FF}' | '\u{1ECB0}')
}

/// The words of the text: runs of letters (apostrophes and hyphens split words).
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect()
}

fn check_words(words: &[&str]) -> Result<(), Refusal> {
    for w in words {
        if w.len() == 3
            && w.bytes().all(|b| b.is_ascii_uppercase())
            && iso_currency::Currency::from_code(w).is_some()
        {
            return Err(Refusal::CurrencyCode(w.to_string()));
        }
        let lower = w.to_lowercase();
        if FORBIDDEN_WORDS.contains(&lower.as_str()) {
            return Err(Refusal::NumberOrMonthWord(lower));
        }
        if let Some(stem) = TAX_STEMS.iter().find(|s| lower.starts_with(*s)) {
            return Err(Refusal::DisclosurePhrase(stem));
        }
    }
    let joined = words.join(" ").to_lowercase();
    match DISCLOSURE_PHRASES
        .iter()
        .find(|p| contains_words(&joined, p))
    {
        Some(p) => Err(Refusal::DisclosurePhrase(p)),
        None => Ok(()),
    }
}

/// Whether `phrase` occurs in `joined` on word boundaries (both single-space joined).
fn contains_words(joined: &str, phrase: &str) -> bool {
    format!(" {joined} ").contains(&format!(" {phrase} "))
}

/// Disclosure key phrases, English and Spanish, as lower-case words.
const DISCLOSURE_PHRASES: [&str; 6] = [
    "past performance",
    "return of capital",
    "returns of capital",
    "rendimiento pasado",
    "devolución de capital",
    "devolucion de capital",
];

/// Word beginnings about tax (tax, taxes, taxable; fiscal; impuesto, impuestos).
const TAX_STEMS: [&str; 3] = ["tax", "fiscal", "impuesto"];

/// Month names and number words, English and Spanish, lower case.
const FORBIDDEN_WORDS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "dieciseis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "cien",
    "ciento",
    "cientos",
    "mil",
    "miles",
    "millón",
    "millon",
    "millones",
    "billón",
    "billon",
    "billones",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_plain_greeting_passes_trimmed() {
        let g = "  Dear Ana, we hope you are well and thank you for your trust in our fund.  ";
        assert_eq!(
            check_model_paragraph(g).unwrap(),
            "Dear Ana, we hope you are well and thank you for your trust in our fund."
        );
        assert_eq!(
            check_model_paragraph("Estimada Ana: gracias por su confianza en nuestro fondo.")
                .unwrap(),
            "Estimada Ana: gracias por su confianza en nuestro fondo."
        );
    }

    #[test]
    fn each_rule_refuses_with_its_reason() {
        let cases: Vec<(&str, Refusal)> = vec![
            ("   ", Refusal::Empty),
            ("Hello\nthere", Refusal::LineBreak),
            ("Hello\u{2029}there", Refusal::LineBreak),
            ("Hello\tthere", Refusal::ControlCharacter),
            ("Hello\u{202E}there", Refusal::ControlCharacter),
            ("You earned 5 shares", Refusal::Digit),
            ("Paid ٣ times", Refusal::Digit),
            ("Got ½ of it", Refusal::Digit),
            ("Ⅻ cheers", Refusal::Digit),
            ("Hello $ friend", Refusal::CurrencySign),
            ("Hello € friend", Refusal::CurrencySign),
            ("Hello ₿ friend", Refusal::CurrencySign),
            ("Hello ¥ friend", Refusal::CurrencySign),
            ("Hello ₹ friend", Refusal::CurrencySign),
            ("Up a lot %", Refusal::Percent),
            ("<b>Hi</b>", Refusal::Markup),
            ("Hi {{ name }}", Refusal::Markup),
            ("Paid in USD today", Refusal::CurrencyCode("USD".into())),
            ("Paid in EUR", Refusal::CurrencyCode("EUR".into())),
            (
                "See you in March",
                Refusal::NumberOrMonthWord("march".into()),
            ),
            (
                "Hasta diciembre",
                Refusal::NumberOrMonthWord("diciembre".into()),
            ),
            (
                "A thousand thanks",
                Refusal::NumberOrMonthWord("thousand".into()),
            ),
            ("Mil gracias", Refusal::NumberOrMonthWord("mil".into())),
            (
                "Un millón de gracias",
                Refusal::NumberOrMonthWord("millón".into()),
            ),
            ("Twenty cheers", Refusal::NumberOrMonthWord("twenty".into())),
            (
                "Past   Performance is great",
                Refusal::DisclosurePhrase("past performance"),
            ),
            (
                "A return of capital for you",
                Refusal::DisclosurePhrase("return of capital"),
            ),
            ("Happy tax season", Refusal::DisclosurePhrase("tax")),
            ("Your taxable gift", Refusal::DisclosurePhrase("tax")),
            (
                "Su devolución de capital",
                Refusal::DisclosurePhrase("devolución de capital"),
            ),
        ];
        for (text, why) in cases {
            assert_eq!(check_model_paragraph(text), Err(why), "{text:?}");
        }
        assert_eq!(
            check_model_paragraph(&"a".repeat(401)),
            Err(Refusal::TooLong)
        );
        assert!(
            check_model_paragraph(&"é".repeat(400)).is_ok(),
            "counts characters, not bytes"
        );
    }

    #[test]
    fn lower_case_words_that_spell_a_code_and_partial_words_pass() {
        // "all", "try", "top" are also ISO 4217 codes; only upper-case codes are refused.
        assert!(check_model_paragraph("Thank you all, we try to stay on top of things.").is_ok());
        // Word boundaries: "oneness", "tenacity", "syntax" hold forbidden letters, not words.
        assert!(check_model_paragraph("With tenacity and oneness, no syntax errors.").is_ok());
        assert!(check_model_paragraph("Our pastry performance at capital events").is_ok());
    }

    proptest! {
        /// Nothing accepted holds a digit, a currency sign, a line break or markup, and
        /// accepting is stable (the returned text passes again unchanged).
        #[test]
        fn accepted_text_never_holds_a_number_or_sign(s in "\\PC{0,60}") {
            if let Ok(ok) = check_model_paragraph(&s) {
                prop_assert!(!ok.chars().any(|c| c.is_numeric() || is_currency_sign(c)));
                let has_markup = ok.contains(['\n', '\r', '<', '>', '{', '}', '%']);
                prop_assert!(!has_markup);
                prop_assert_eq!(check_model_paragraph(&ok), Ok(ok.clone()));
            }
        }
    }
}
