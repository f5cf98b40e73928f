//! Units: what the metrics engine measured in, and how the coach presents it
//! in metric or imperial.

use fitvision_kinematics::units::{CM_PER_IN, FT_PER_M, LB_PER_KG, LBF_PER_N, MM_PER_IN};
use fitvision_proto::v1::MeasurementSystem;

use crate::language::Language;

/// Presentation system chosen by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UnitSystem {
    #[default]
    Metric,
    Imperial,
}

impl UnitSystem {
    /// Unspecified (or an unknown future value) is metric, the Weightlifting API's default.
    pub fn from_proto(value: i32) -> Self {
        match MeasurementSystem::try_from(value) {
            Ok(MeasurementSystem::Imperial) => Self::Imperial,
            _ => Self::Metric,
        }
    }
}

/// Unit a value was measured in, as the metrics engine reports it
/// (a series' `unit` string or a metric key's suffix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceUnit {
    Kilogram,
    Metre,
    Centimetre,
    Millimetre,
    MetrePerSecond,
    Newton,
    Watt,
    Degree,
    Second,
    Millisecond,
    PerMinute,
    Kilocalorie,
    Pixel,
    Percent,
    /// A count or a ratio without a unit.
    Unitless,
}

/// Metric-key suffixes, longest first so `_m_s` wins over `_s` and `_ms`.
const KEY_SUFFIXES: &[(&str, SourceUnit)] = &[
    ("_per_min", SourceUnit::PerMinute),
    ("_percent", SourceUnit::Percent),
    ("_kcal", SourceUnit::Kilocalorie),
    ("_deg", SourceUnit::Degree),
    ("_pct", SourceUnit::Percent),
    ("_m_s", SourceUnit::MetrePerSecond),
    ("_kg", SourceUnit::Kilogram),
    ("_cm", SourceUnit::Centimetre),
    ("_mm", SourceUnit::Millimetre),
    ("_ms", SourceUnit::Millisecond),
    ("_px", SourceUnit::Pixel),
    ("_m", SourceUnit::Metre),
    ("_s", SourceUnit::Second),
    ("_w", SourceUnit::Watt),
    ("_n", SourceUnit::Newton),
];

impl SourceUnit {
    /// Parses a series unit string ("deg", "m/s", "W", ...). Unknown units are
    /// unitless: the value is shown as measured, never converted.
    pub fn parse(unit: &str) -> Self {
        match unit.trim().to_ascii_lowercase().as_str() {
            "kg" => Self::Kilogram,
            "m" => Self::Metre,
            "cm" => Self::Centimetre,
            "mm" => Self::Millimetre,
            "m/s" | "m_s" | "mps" => Self::MetrePerSecond,
            "n" => Self::Newton,
            "w" => Self::Watt,
            "deg" | "degree" | "degrees" | "°" => Self::Degree,
            "s" | "sec" => Self::Second,
            "ms" => Self::Millisecond,
            "/min" | "1/min" | "per_min" | "rpm" => Self::PerMinute,
            "kcal" => Self::Kilocalorie,
            "px" => Self::Pixel,
            "%" | "pct" | "percent" => Self::Percent,
            _ => Self::Unitless,
        }
    }

    /// Splits a metric key such as `jump_height_cm` into its base name
    /// (`jump_height`) and unit.
    pub fn split_metric_key(key: &str) -> (&str, Self) {
        KEY_SUFFIXES
            .iter()
            .find_map(|(suffix, unit)| {
                key.strip_suffix(suffix)
                    .filter(|base| !base.is_empty())
                    .map(|base| (base, *unit))
            })
            .unwrap_or((key, Self::Unitless))
    }
}

/// Unit a value is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayUnit {
    Kilogram,
    Pound,
    Metre,
    Foot,
    Centimetre,
    Millimetre,
    Inch,
    MetrePerSecond,
    FootPerSecond,
    Newton,
    PoundForce,
    Watt,
    Degree,
    Second,
    Millisecond,
    PerMinute,
    Kilocalorie,
    Pixel,
    Percent,
    Unitless,
}

impl DisplayUnit {
    /// Decimals that match the precision of the measurement behind the unit.
    pub fn decimals(self) -> usize {
        match self {
            Self::Metre | Self::Foot | Self::MetrePerSecond | Self::FootPerSecond => 2,
            Self::Kilogram
            | Self::Pound
            | Self::Centimetre
            | Self::Inch
            | Self::Degree
            | Self::Second
            | Self::Kilocalorie
            | Self::Unitless => 1,
            Self::Millimetre
            | Self::Newton
            | Self::PoundForce
            | Self::Watt
            | Self::Millisecond
            | Self::PerMinute
            | Self::Pixel
            | Self::Percent => 0,
        }
    }

    /// Symbol written after the number ("" for unitless).
    pub fn symbol(self, language: Language) -> &'static str {
        match self {
            Self::Kilogram => "kg",
            Self::Pound => "lb",
            Self::Metre => "m",
            Self::Foot => "ft",
            Self::Centimetre => "cm",
            Self::Millimetre => "mm",
            Self::Inch => "in",
            Self::MetrePerSecond => "m/s",
            Self::FootPerSecond => "ft/s",
            Self::Newton => "N",
            Self::PoundForce => "lbf",
            Self::Watt => "W",
            Self::Degree => "°",
            Self::Second => language.pick("s", "秒"),
            Self::Millisecond => language.pick("ms", "毫秒"),
            Self::PerMinute => language.pick("/min", "次/分钟"),
            Self::Kilocalorie => language.pick("kcal", "千卡"),
            Self::Pixel => "px",
            Self::Percent => "%",
            Self::Unitless => "",
        }
    }

    /// Whether the symbol is written without a space ("42%", "84.0°").
    fn is_attached(self, language: Language) -> bool {
        matches!(self, Self::Degree | Self::Percent)
            || (language == Language::Chinese
                && matches!(
                    self,
                    Self::Second | Self::Millisecond | Self::PerMinute | Self::Kilocalorie
                ))
    }
}

/// A value in the unit it is shown in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    pub value: f64,
    pub unit: DisplayUnit,
}

impl Measure {
    pub fn new(value: f64, unit: DisplayUnit) -> Self {
        Self { value, unit }
    }

    /// Converts a measured value into the caller's system. Power stays in watts
    /// and angles in degrees in both systems.
    pub fn convert(value: f64, unit: SourceUnit, system: UnitSystem) -> Self {
        let imperial = system == UnitSystem::Imperial;
        let (value, unit) = match unit {
            SourceUnit::Kilogram if imperial => (value * LB_PER_KG, DisplayUnit::Pound),
            SourceUnit::Kilogram => (value, DisplayUnit::Kilogram),
            SourceUnit::Metre if imperial => (value * FT_PER_M, DisplayUnit::Foot),
            SourceUnit::Metre => (value, DisplayUnit::Metre),
            SourceUnit::Centimetre if imperial => (value / CM_PER_IN, DisplayUnit::Inch),
            SourceUnit::Centimetre => (value, DisplayUnit::Centimetre),
            SourceUnit::Millimetre if imperial => (value / MM_PER_IN, DisplayUnit::Inch),
            SourceUnit::Millimetre => (value, DisplayUnit::Millimetre),
            SourceUnit::MetrePerSecond if imperial => {
                (value * FT_PER_M, DisplayUnit::FootPerSecond)
            }
            SourceUnit::MetrePerSecond => (value, DisplayUnit::MetrePerSecond),
            SourceUnit::Newton if imperial => (value * LBF_PER_N, DisplayUnit::PoundForce),
            SourceUnit::Newton => (value, DisplayUnit::Newton),
            SourceUnit::Watt => (value, DisplayUnit::Watt),
            SourceUnit::Degree => (value, DisplayUnit::Degree),
            SourceUnit::Second => (value, DisplayUnit::Second),
            SourceUnit::Millisecond => (value, DisplayUnit::Millisecond),
            SourceUnit::PerMinute => (value, DisplayUnit::PerMinute),
            SourceUnit::Kilocalorie => (value, DisplayUnit::Kilocalorie),
            SourceUnit::Pixel => (value, DisplayUnit::Pixel),
            SourceUnit::Percent => (value, DisplayUnit::Percent),
            SourceUnit::Unitless => (value, DisplayUnit::Unitless),
        };
        Self { value, unit }
    }

    /// A 0..1 share shown as a whole percentage.
    pub fn percent_of_share(share: f64) -> Self {
        Self::new(share * 100.0, DisplayUnit::Percent)
    }

    pub fn seconds(value: f64) -> Self {
        Self::new(value, DisplayUnit::Second)
    }

    /// The number alone, rounded to the unit's precision ("-0.0" becomes "0.0").
    pub fn number(&self) -> String {
        format_number(self.value, self.unit.decimals())
    }

    /// Number and unit, e.g. "45.2 cm", "42%", "3.5 秒".
    pub fn format(&self, language: Language) -> String {
        let symbol = self.unit.symbol(language);
        if symbol.is_empty() {
            self.number()
        } else if self.unit.is_attached(language) {
            format!("{}{symbol}", self.number())
        } else {
            format!("{} {symbol}", self.number())
        }
    }
}

/// Rounds half away from zero to `decimals` places (1 of 8 = 12.5% -> "13%",
/// as people round), never printing a negative zero.
pub fn format_number(value: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    let rounded = (value * scale).round() / scale;
    let text = format!("{rounded:.decimals$}");
    let is_zero = text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if is_zero {
        text.trim_start_matches('-').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_keys_split_into_base_and_unit() {
        assert_eq!(
            SourceUnit::split_metric_key("jump_height_cm"),
            ("jump_height", SourceUnit::Centimetre)
        );
        assert_eq!(
            SourceUnit::split_metric_key("max_bar_speed_m_s"),
            ("max_bar_speed", SourceUnit::MetrePerSecond)
        );
        assert_eq!(
            SourceUnit::split_metric_key("flight_time_ms"),
            ("flight_time", SourceUnit::Millisecond)
        );
        assert_eq!(
            SourceUnit::split_metric_key("cadence_per_min"),
            ("cadence", SourceUnit::PerMinute)
        );
        assert_eq!(
            SourceUnit::split_metric_key("jump_count"),
            ("jump_count", SourceUnit::Unitless)
        );
    }

    #[test]
    fn imperial_converts_everything_but_power_and_angles() {
        let imperial = UnitSystem::Imperial;
        let mass = Measure::convert(100.0, SourceUnit::Kilogram, imperial);
        assert_eq!(mass.format(Language::English), "220.5 lb");
        let speed = Measure::convert(2.0, SourceUnit::MetrePerSecond, imperial);
        assert_eq!(speed.format(Language::English), "6.56 ft/s");
        let height = Measure::convert(45.72, SourceUnit::Centimetre, imperial);
        assert_eq!(height.format(Language::English), "18.0 in");
        let force = Measure::convert(1000.0, SourceUnit::Newton, imperial);
        assert_eq!(force.format(Language::English), "225 lbf");
        let power = Measure::convert(2500.0, SourceUnit::Watt, imperial);
        assert_eq!(power.format(Language::English), "2500 W");
        let angle = Measure::convert(84.24, SourceUnit::Degree, imperial);
        assert_eq!(angle.format(Language::English), "84.2°");
    }

    #[test]
    fn formats_without_negative_zero_and_with_chinese_units() {
        assert_eq!(format_number(-0.04, 1), "0.0");
        assert_eq!(format_number(-0.06, 1), "-0.1");
        assert_eq!(Measure::seconds(3.46).format(Language::Chinese), "3.5秒");
        assert_eq!(
            Measure::percent_of_share(0.417).format(Language::English),
            "42%"
        );
        assert_eq!(
            Measure::percent_of_share(0.125).format(Language::English),
            "13%"
        );
    }
}
