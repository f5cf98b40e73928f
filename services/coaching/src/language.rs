//! Output languages of the coach.

use std::fmt;

/// Language of the generated text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    /// Simplified Chinese.
    Chinese,
}

/// A language tag the coach cannot write in.
#[derive(Debug, thiserror::Error)]
#[error("unsupported language {0:?}: use \"en\" or \"zh\"")]
pub struct UnsupportedLanguage(pub String);

impl Language {
    /// Parses a BCP-47 tag by its primary subtag ([`fitvision_proto::languages`]): "" and
    /// "en-*" are English, "zh-*" (zh, zh-CN, zh-Hans, ...) is Simplified Chinese.
    pub fn from_tag(tag: &str) -> Result<Self, UnsupportedLanguage> {
        match fitvision_proto::languages::supported(tag) {
            Some("en") => Ok(Self::English),
            Some("zh") => Ok(Self::Chinese),
            _ => Err(UnsupportedLanguage(tag.to_owned())),
        }
    }

    /// Picks the English or the Chinese variant of a phrase.
    pub fn pick<'a>(self, english: &'a str, chinese: &'a str) -> &'a str {
        match self {
            Self::English => english,
            Self::Chinese => chinese,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pick("en", "zh"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_by_primary_subtag() {
        assert_eq!(Language::from_tag("").unwrap(), Language::English);
        assert_eq!(Language::from_tag("en-GB").unwrap(), Language::English);
        assert_eq!(Language::from_tag("zh").unwrap(), Language::Chinese);
        assert_eq!(Language::from_tag("zh-Hans-CN").unwrap(), Language::Chinese);
        assert_eq!(Language::from_tag("ZH_cn").unwrap(), Language::Chinese);
        assert!(Language::from_tag("fr").is_err());
    }
}
