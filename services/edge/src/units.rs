//! `measurement_system=imperial` for the weightlifting/jumping/running reads (the
//! Weightlifting and Retrieval APIs): the analysis is stored in SI and converted
//! here, per value unit.
//!
//! Series carry their unit (`Series.unit`); scalar metrics carry it as a key suffix
//! (`max_bar_height_m`), which is renamed with the value so a key never lies about
//! its unit. Conversions: m -> ft, cm -> in, m/s -> ft/s, N -> lbf, kg -> lb.
//! Unchanged: W, deg, s, counts and scores.

use fitvision_proto::v1::{AnalysisResult, MeasurementSystem};

use fitvision_kinematics::units::{FT_PER_M, IN_PER_CM, LB_PER_KG, LBF_PER_N};

/// Imperial unit and factor for an SI series unit; `None` keeps the value.
pub fn imperial_unit(unit: &str) -> Option<(&'static str, f64)> {
    match unit {
        "m" => Some(("ft", FT_PER_M)),
        "cm" => Some(("in", IN_PER_CM)),
        "m/s" => Some(("ft/s", FT_PER_M)),
        "N" => Some(("lbf", LBF_PER_N)),
        "kg" => Some(("lb", LB_PER_KG)),
        _ => None,
    }
}

/// Imperial key and factor for a metric key ending in an SI unit suffix.
fn imperial_metric_key(key: &str) -> Option<(String, f64)> {
    // Longest suffix first: `_m_s` before `_m`.
    const SUFFIXES: [(&str, &str, f64); 5] = [
        ("_m_s", "_ft_s", FT_PER_M),
        ("_cm", "_in", IN_PER_CM),
        ("_m", "_ft", FT_PER_M),
        ("_kg", "_lb", LB_PER_KG),
        ("_n", "_lbf", LBF_PER_N),
    ];
    SUFFIXES.iter().find_map(|(si, imperial, factor)| {
        key.strip_suffix(si)
            .map(|stem| (format!("{stem}{imperial}"), *factor))
    })
}

/// A mass the caller gave in its measurement system, in kg (the analysis is SI).
pub fn mass_to_kg(mass: f64, system: MeasurementSystem) -> f64 {
    if system == MeasurementSystem::Imperial {
        mass / LB_PER_KG
    } else {
        mass
    }
}

/// Rounds like the engine does (3 decimals) so converted figures stay readable.
fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Converts an analysis in place to the requested system (no-op for metric).
pub fn convert_result(result: &mut AnalysisResult, system: MeasurementSystem) {
    if system != MeasurementSystem::Imperial {
        return;
    }
    for series in result.series.values_mut() {
        if let Some((unit, factor)) = imperial_unit(&series.unit) {
            series.unit = unit.to_owned();
            for value in &mut series.values {
                *value = round3(*value * factor);
            }
        }
    }
    let metrics = std::mem::take(&mut result.metrics);
    result.metrics = metrics
        .into_iter()
        .map(|(key, value)| match imperial_metric_key(&key) {
            Some((imperial, factor)) => (imperial, round3(value * factor)),
            None => (key, value),
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_exercise_engine::names::{metrics, series};
    use fitvision_proto::v1::Series;

    fn sample() -> AnalysisResult {
        let mut result = AnalysisResult::default();
        for (name, unit, value) in [
            (series::BAR_HEIGHT, "m", 0.3048),
            (series::BAR_VELOCITY, "m/s", 3.048),
            (series::GROUND_REACTION_FORCE, "N", 4.448_221_615_260_5),
            (series::POWER_OUTPUT, "W", 1500.0),
            (series::KNEE_ANGLE, "deg", 90.0),
        ] {
            result.series.insert(
                name.into(),
                Series {
                    unit: unit.into(),
                    values: vec![value, 0.0],
                },
            );
        }
        result
            .metrics
            .insert(metrics::MAX_BAR_VELOCITY_M_S.into(), 3.048);
        result
            .metrics
            .insert(metrics::MAX_BAR_HEIGHT_M.into(), 0.6096);
        result
            .metrics
            .insert(metrics::BARBELL_MASS_KG.into(), 0.453_592_37);
        result
            .metrics
            .insert(metrics::MAX_GRF_N.into(), 4.448_221_615_260_5);
        result.metrics.insert(metrics::JUMP_HEIGHT_CM.into(), 2.54);
        result.metrics.insert(metrics::MAX_POWER_W.into(), 1500.0);
        result
    }

    #[test]
    fn imperial_converts_every_si_unit_and_keeps_watts_and_degrees() {
        let mut result = sample();
        convert_result(&mut result, MeasurementSystem::Imperial);
        let series = |name: &str| {
            (
                result.series[name].unit.clone(),
                result.series[name].values[0],
            )
        };
        assert_eq!(series("bar_height"), ("ft".into(), 1.0));
        assert_eq!(series("bar_velocity"), ("ft/s".into(), 10.0));
        assert_eq!(series("ground_reaction_force"), ("lbf".into(), 1.0));
        assert_eq!(series("power_output"), ("W".into(), 1500.0));
        assert_eq!(series("knee_angle"), ("deg".into(), 90.0));
        assert_eq!(result.metrics["max_bar_velocity_ft_s"], 10.0);
        assert_eq!(result.metrics["max_bar_height_ft"], 2.0);
        assert_eq!(result.metrics["barbell_mass_lb"], 1.0);
        assert_eq!(result.metrics["max_grf_lbf"], 1.0);
        assert_eq!(result.metrics["jump_height_in"], 1.0);
        assert_eq!(result.metrics[metrics::MAX_POWER_W], 1500.0);
        assert!(!result.metrics.contains_key(metrics::MAX_BAR_HEIGHT_M));
    }

    #[test]
    fn masses_given_in_pounds_are_stored_in_kilograms() {
        let kg = mass_to_kg(220.0, MeasurementSystem::Imperial);
        assert!((kg - 99.790_321_4).abs() < 1e-9, "{kg}");
        assert_eq!(mass_to_kg(100.0, MeasurementSystem::Metric), 100.0);
    }

    #[test]
    fn metric_is_untouched() {
        let mut result = sample();
        convert_result(&mut result, MeasurementSystem::Metric);
        assert_eq!(result, sample());
    }
}
