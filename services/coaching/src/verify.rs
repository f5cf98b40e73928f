//! Number verification: every number a generated text states must be one we
//! gave it, possibly rounded or converted to another unit.

use std::fmt;

/// Physical dimension of a stated unit, for conversions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dimension {
    Mass,
    Length,
    Speed,
    Force,
    Time,
}

/// Unit tokens a number may be followed by: (token, dimension, size in SI units).
/// Longest first, so "ft/s" wins over "ft" and "ms" over "m".
const UNIT_TOKENS: &[(&str, Dimension, f64)] = &[
    ("ft/s", Dimension::Speed, 0.3048),
    ("m/s", Dimension::Speed, 1.0),
    ("km/h", Dimension::Speed, 1.0 / 3.6),
    ("mph", Dimension::Speed, 0.447_04),
    ("lbf", Dimension::Force, 4.448_221_615),
    ("lbs", Dimension::Mass, 0.453_592_37),
    ("lb", Dimension::Mass, 0.453_592_37),
    ("kg", Dimension::Mass, 1.0),
    ("kN", Dimension::Force, 1000.0),
    ("mm", Dimension::Length, 0.001),
    ("cm", Dimension::Length, 0.01),
    ("ms", Dimension::Time, 0.001),
    ("ft", Dimension::Length, 0.3048),
    ("in", Dimension::Length, 0.0254),
    ("m", Dimension::Length, 1.0),
    ("N", Dimension::Force, 1.0),
    ("s", Dimension::Time, 1.0),
    ("毫秒", Dimension::Time, 0.001),
    ("秒", Dimension::Time, 1.0),
    ("公斤", Dimension::Mass, 1.0),
    ("千克", Dimension::Mass, 1.0),
    ("磅", Dimension::Mass, 0.453_592_37),
    ("厘米", Dimension::Length, 0.01),
    ("毫米", Dimension::Length, 0.001),
    ("英寸", Dimension::Length, 0.0254),
    ("英尺", Dimension::Length, 0.3048),
    ("米", Dimension::Length, 1.0),
    ("牛", Dimension::Force, 1.0),
];

/// Largest number read as a list marker ("3. Keep your back flat").
const MAX_LIST_MARKER: f64 = 20.0;
/// Relative tolerance of a converted number, on top of both precisions (the
/// writer may use a rounded conversion factor).
const RELATIVE_TOLERANCE: f64 = 0.005;

/// A number found in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct StatedNumber {
    /// Absolute value: signs depend on axis conventions, magnitudes do not.
    pub value: f64,
    /// Digits after the decimal point as written.
    pub decimals: i32,
    /// The number as written.
    pub text: String,
    unit: Option<(Dimension, f64)>,
}

impl fmt::Display for StatedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl StatedNumber {
    /// Half a unit in the last written digit: "2" stands for 1.5..2.5.
    fn rounding_tolerance(&self) -> f64 {
        0.5 * 10f64.powi(-self.decimals)
    }

    /// Whether `self` and `given` can be roundings of the same value, directly
    /// or after converting `given` into `self`'s unit: their rounding
    /// intervals overlap ("13%" given, "12.5%" stated; "2.02" given, "2"
    /// stated). Strictly: adjacent integers ("12" given, "13" stated) differ.
    fn matches(&self, given: &StatedNumber) -> bool {
        let direct = (self.value - given.value).abs()
            < self.rounding_tolerance() + given.rounding_tolerance();
        if direct {
            return true;
        }
        match (self.unit, given.unit) {
            (Some((dimension, size)), Some((given_dimension, given_size)))
                if dimension == given_dimension =>
            {
                let factor = given_size / size;
                let converted = given.value * factor;
                (self.value - converted).abs()
                    < self.rounding_tolerance()
                        + given.rounding_tolerance() * factor
                        + RELATIVE_TOLERANCE * converted.abs()
            }
            _ => false,
        }
    }
}

/// Normalises full-width digits and punctuation to ASCII.
fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            _ => c,
        })
        .collect()
}

fn unit_after(chars: &[char], mut at: usize) -> Option<(Dimension, f64)> {
    while chars.get(at) == Some(&' ') {
        at += 1;
    }
    let rest: String = chars[at.min(chars.len())..].iter().take(6).collect();
    UNIT_TOKENS.iter().find_map(|(token, dimension, size)| {
        let after = rest.strip_prefix(token)?;
        // "m" must not be the start of "more", "min", ...
        let is_word_end = !token.is_ascii()
            || !after
                .chars()
                .next()
                .is_some_and(|next| next.is_ascii_alphabetic());
        is_word_end.then_some((*dimension, *size))
    })
}

/// Whether the number starting at `start` opens a line as a list marker.
fn is_list_marker(chars: &[char], start: usize, end: usize, value: f64) -> bool {
    let opens_line = chars[..start]
        .iter()
        .rev()
        .take_while(|c| **c != '\n')
        .all(|c| c.is_whitespace() || matches!(c, '-' | '*' | '•'));
    let followed_by_marker = matches!(chars.get(end), Some('.' | ')' | '、'))
        && !chars.get(end + 1).is_some_and(char::is_ascii_digit);
    opens_line && followed_by_marker && value <= MAX_LIST_MARKER && value.fract() == 0.0
}

/// Every number stated in `text`, list markers excluded. Thousands separators
/// ("2,350") are understood; signs are dropped.
pub fn stated_numbers(text: &str) -> Vec<StatedNumber> {
    let chars = normalise(text);
    let mut numbers = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if !chars[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let start = at;
        let mut digits = String::new();
        while at < chars.len() {
            let c = chars[at];
            if c.is_ascii_digit() {
                digits.push(c);
                at += 1;
            } else if c == ','
                && chars
                    .get(at + 1..at + 4)
                    .is_some_and(|group| group.iter().all(char::is_ascii_digit))
                && !chars.get(at + 4).is_some_and(char::is_ascii_digit)
                && !digits.contains('.')
            {
                at += 1;
            } else if c == '.'
                && !digits.contains('.')
                && chars.get(at + 1).is_some_and(char::is_ascii_digit)
            {
                digits.push('.');
                at += 1;
            } else {
                break;
            }
        }
        let Ok(value) = digits.parse::<f64>() else {
            continue;
        };
        if is_list_marker(&chars, start, at, value) {
            continue;
        }
        let decimals = digits
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len() as i32);
        numbers.push(StatedNumber {
            value,
            decimals,
            text: chars[start..at].iter().collect(),
            unit: unit_after(&chars, at),
        });
    }
    numbers
}

/// The numbers a generated text may state.
#[derive(Clone, Debug, Default)]
pub struct AllowedNumbers {
    given: Vec<StatedNumber>,
    /// Integers 1..=this may be stated as rep references ("rep 3").
    max_rep_index: u32,
}

impl AllowedNumbers {
    /// Allows every number stated in `sources` (the facts and the draft given
    /// to the writer), and rep indices up to `max_rep_index`.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = &'a str>,
        max_rep_index: u32,
    ) -> Self {
        Self {
            given: sources.into_iter().flat_map(stated_numbers).collect(),
            max_rep_index,
        }
    }

    fn allows(&self, number: &StatedNumber) -> bool {
        let is_rep_index = number.decimals == 0
            && number.value >= 1.0
            && number.value <= f64::from(self.max_rep_index);
        is_rep_index || self.given.iter().any(|given| number.matches(given))
    }

    /// The first number in `text` that was not given, if any.
    pub fn first_unverified(&self, text: &str) -> Option<StatedNumber> {
        stated_numbers(text)
            .into_iter()
            .find(|number| !self.allows(number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<f64> {
        stated_numbers(text).iter().map(|n| n.value).collect()
    }

    #[test]
    fn reads_decimals_thousands_and_full_width_digits() {
        assert_eq!(values("peak 2,350 W at 1.25 s, -8 cm"), [2350.0, 1.25, 8.0]);
        assert_eq!(values("共完成１２次，用时34.5秒。"), [12.0, 34.5]);
        assert_eq!(values("reps 5, 10, 15."), [5.0, 10.0, 15.0]);
    }

    #[test]
    fn skips_list_markers_but_not_numbers_in_lines() {
        let text = "1. Hips sagging: failed 5 of 12 checks.\n 2) Elbows: 3.5 s";
        assert_eq!(values(text), [5.0, 12.0, 3.5]);
    }

    #[test]
    fn accepts_rounding_and_unit_conversions_only() {
        let allowed =
            AllowedNumbers::from_sources(["peak speed 2.02 m/s", "bar 100.0 kg", "42%"], 0);
        assert_eq!(allowed.first_unverified("about 2 m/s with 100 kg"), None);
        assert_eq!(
            allowed.first_unverified("that is 6.6 ft/s and 220 lb"),
            None
        );
        assert_eq!(allowed.first_unverified("42% of reps"), None);
        let invented = allowed.first_unverified("aim for 2.5 m/s").unwrap();
        assert_eq!(invented.text, "2.5");
        assert!(allowed.first_unverified("lift 230 lb").is_some());
        assert!(allowed.first_unverified("do 3 sets").is_some());
        // "42%" stands for 41.5..42.5: a finer rounding inside is the same fact.
        assert_eq!(allowed.first_unverified("41.7% of reps"), None);
        assert!(allowed.first_unverified("43.5% of reps").is_some());
    }

    #[test]
    fn rep_indices_are_allowed() {
        let allowed = AllowedNumbers::from_sources(["12 reps"], 12);
        assert_eq!(allowed.first_unverified("from rep 9 on"), None);
        assert!(allowed.first_unverified("rep 13").is_some());
    }
}
