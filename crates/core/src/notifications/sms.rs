//! Keywords an investor may text back, as Twilio's default keyword handling reads them.

/// What a keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsKeyword {
    /// Stop all texts (the number is suppressed for SMS).
    OptOut,
    /// Texts again after an opt-out.
    OptIn,
    /// Who is texting and how to stop.
    Help,
}

const OPT_OUT: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const OPT_IN: [&str; 3] = ["START", "YES", "UNSTOP"];
const HELP: [&str; 2] = ["HELP", "INFO"];

/// The keyword a reply is, if it is one: the whole message, trimmed, in any case, with
/// trailing punctuation ignored ("Stop!" is STOP; "please stop" is not a keyword).
pub fn keyword(body: &str) -> Option<SmsKeyword> {
    let word = body
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_ascii_uppercase();
    if OPT_OUT.contains(&word.as_str()) {
        Some(SmsKeyword::OptOut)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(SmsKeyword::OptIn)
    } else if HELP.contains(&word.as_str()) {
        Some(SmsKeyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_twilio_keyword_is_read() {
        for w in OPT_OUT {
            assert_eq!(keyword(w), Some(SmsKeyword::OptOut), "{w}");
        }
        for w in OPT_IN {
            assert_eq!(keyword(w), Some(SmsKeyword::OptIn), "{w}");
        }
        for w in HELP {
            assert_eq!(keyword(w), Some(SmsKeyword::Help), "{w}");
        }
    }

    #[test]
    fn case_space_and_trailing_punctuation_are_ignored() {
        assert_eq!(keyword("  stop "), Some(SmsKeyword::OptOut));
        assert_eq!(keyword("Stop!"), Some(SmsKeyword::OptOut));
        assert_eq!(keyword("unsubscribe."), Some(SmsKeyword::OptOut));
        assert_eq!(keyword("Yes!!"), Some(SmsKeyword::OptIn));
        assert_eq!(keyword("help?"), Some(SmsKeyword::Help));
        assert_eq!(keyword("\tStart\n"), Some(SmsKeyword::OptIn));
    }

    #[test]
    fn only_the_whole_message_counts() {
        for body in [
            "please stop",
            "stop it",
            "STOP ALL",
            "STOPP",
            "!stop",
            "",
            "   ",
            "thanks",
            "yes please",
            "s.t.o.p",
        ] {
            assert_eq!(keyword(body), None, "{body:?}");
        }
    }
}
