//! The built-in coach: deterministic, offline text written from the measured
//! numbers only (see [`crate::digest`]).

mod cues;
mod lift;
mod overall;

pub use cues::cue_for;
pub use lift::session_topic;
pub use overall::{overall, progression};

use crate::language::Language;

/// "a", "a and b", "a, b and c" / "a", "a和b", "a、b和c".
fn join_list(items: &[String], language: Language) -> String {
    let (separator, last_separator) = match language {
        Language::English => (", ", " and "),
        Language::Chinese => ("、", "和"),
    };
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{}{last_separator}{last}", init.join(separator)),
    }
}

/// Upper-cases the first letter of a sentence (a no-op for Chinese).
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Joins sentences: spaced in English, unspaced in Chinese.
fn sentences(parts: &[String], language: Language) -> String {
    let parts: Vec<&str> = parts
        .iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect();
    parts.join(language.pick(" ", ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_lists_naturally() {
        let items = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(join_list(&items, Language::English), "a, b and c");
        assert_eq!(join_list(&items, Language::Chinese), "a、b和c");
        assert_eq!(join_list(&items[..1], Language::English), "a");
    }
}
