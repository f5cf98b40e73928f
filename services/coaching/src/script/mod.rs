//! Simplified and Traditional Chinese.
//!
//! The coach composes Chinese in Simplified characters; catalog labels may
//! come in either script (the built-in catalog's are Traditional, like the AI
//! Move API's `labelZh`). The finished text is converted character by character
//! into the script the caller's tag asks for, so one text never mixes the two.

mod tables;

use std::collections::HashMap;
use std::sync::OnceLock;

/// Script of Chinese output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChineseScript {
    /// zh, zh-CN, zh-SG, zh-Hans.
    #[default]
    Simplified,
    /// zh-Hant, zh-TW, zh-HK, zh-MO.
    Traditional,
}

impl ChineseScript {
    /// Script named by a BCP-47 tag's script or region subtag.
    pub fn from_tag(tag: &str) -> Self {
        let traditional = tag.split(['-', '_']).skip(1).any(|subtag| {
            matches!(
                subtag.to_ascii_lowercase().as_str(),
                "hant" | "tw" | "hk" | "mo"
            )
        });
        if traditional {
            Self::Traditional
        } else {
            Self::Simplified
        }
    }

    /// `text` with every character of the other script converted, and
    /// quotation marks in the script's convention (“” / 「」).
    pub fn convert(self, text: &str) -> String {
        let (table, quotes) = match self {
            Self::Simplified => (
                table(
                    &TO_SIMPLIFIED,
                    tables::TRADITIONAL_TO_SIMPLIFIED_FROM,
                    tables::TRADITIONAL_TO_SIMPLIFIED_TO,
                ),
                [('「', '“'), ('」', '”')],
            ),
            Self::Traditional => (
                table(
                    &TO_TRADITIONAL,
                    tables::SIMPLIFIED_TO_TRADITIONAL_FROM,
                    tables::SIMPLIFIED_TO_TRADITIONAL_TO,
                ),
                [('“', '「'), ('”', '」')],
            ),
        };
        text.chars()
            .map(|c| {
                quotes
                    .iter()
                    .find(|(from, _)| *from == c)
                    .map(|(_, to)| *to)
                    .or_else(|| table.get(&c).copied())
                    .unwrap_or(c)
            })
            .collect()
    }
}

static TO_SIMPLIFIED: OnceLock<HashMap<char, char>> = OnceLock::new();
static TO_TRADITIONAL: OnceLock<HashMap<char, char>> = OnceLock::new();

fn table(
    cell: &'static OnceLock<HashMap<char, char>>,
    from: &'static str,
    to: &'static str,
) -> &'static HashMap<char, char> {
    cell.get_or_init(|| from.chars().zip(to.chars()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pair_up_one_to_one() {
        assert_eq!(
            tables::TRADITIONAL_TO_SIMPLIFIED_FROM.chars().count(),
            tables::TRADITIONAL_TO_SIMPLIFIED_TO.chars().count()
        );
        assert_eq!(
            tables::SIMPLIFIED_TO_TRADITIONAL_FROM.chars().count(),
            tables::SIMPLIFIED_TO_TRADITIONAL_TO.chars().count()
        );
    }

    #[test]
    fn reads_the_script_from_the_tag() {
        assert_eq!(ChineseScript::from_tag("zh"), ChineseScript::Simplified);
        assert_eq!(ChineseScript::from_tag("zh-CN"), ChineseScript::Simplified);
        assert_eq!(
            ChineseScript::from_tag("zh-Hant"),
            ChineseScript::Traditional
        );
        assert_eq!(ChineseScript::from_tag("zh-HK"), ChineseScript::Traditional);
        assert_eq!(ChineseScript::from_tag("zh_TW"), ChineseScript::Traditional);
    }

    #[test]
    fn converts_both_ways_and_leaves_the_rest_alone() {
        let simplified = ChineseScript::Simplified;
        let traditional = ChineseScript::Traditional;
        assert_eq!(
            simplified.convert("俯臥撐：保持身體成一直線，12 reps"),
            "俯卧撑：保持身体成一直线，12 reps"
        );
        assert_eq!(
            traditional.convert("下次训练：动作评分78%，发力"),
            "下次訓練：動作評分78%，發力"
        );
        assert_eq!(traditional.convert("頂部手臂伸直"), "頂部手臂伸直");
    }
}
