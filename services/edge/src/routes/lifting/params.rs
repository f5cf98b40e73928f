//! Query parameters of the Weightlifting and Retrieval APIs, typed and documented
//! once. Values stay text until checked here so that a bad value gets the
//! family's own 400 (`{"error": "invalid demo value ..."}`), not serde's wording.

use fitvision_proto::v1::MeasurementSystem;
use serde::Deserialize;
use utoipa::IntoParams;

use super::FAMILY;
use crate::error::{ApiError, ApiResult, Family};
pub use crate::params::Params;
use crate::params::QueryParams;

/// Parameters of the reads (details, export, summary, lift analysis).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// true: the pre-analysed demo session (the configured one, else the tenant's first successfully analysed session of this activity, else the deployment's demo session analysed at first start from FITVISION_DEMO_VIDEO; 404 while that is still being analysed)
    #[param(value_type = Option<bool>)]
    pub demo: Option<String>,
    /// 'metric' (default) or 'imperial'. Units of returned values, metric -> imperial: heights, distances and trajectories m -> ft (metric keys ending _cm -> _in); velocities m/s -> ft/s; forces N -> lbf; masses kg -> lb; power stays W, angles deg, times s. Scalar metric keys carry their unit as a suffix and are renamed with it (max_bar_height_m -> max_bar_height_ft); user_information gives weight/height with weight_unit/height_unit.
    pub measurement_system: Option<String>,
}

impl QueryParams for ReadParams {
    const FAMILY: Family = FAMILY;
}

impl ReadParams {
    pub fn demo(&self) -> ApiResult<bool> {
        match self.demo.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "false" | "0") => Ok(false),
            Some("true" | "1") => Ok(true),
            Some(other) => Err(ApiError::bad_request(
                FAMILY,
                format!("invalid demo value '{other}': use true or false"),
            )),
        }
    }

    pub fn units(&self) -> ApiResult<MeasurementSystem> {
        measurement_system(self.measurement_system.as_deref())
    }
}

/// Parameters of the calls that create GenAI threads (summary, recommendation).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadParams {
    /// 'metric' (default) or 'imperial'
    pub measurement_system: Option<String>,
    /// Language of the comments: 'en' or 'zh' (BCP-47 tags such as zh-Hant are read by
    /// their language); default: the Accept-Language header's preference, else 'en'
    pub language: Option<String>,
}

impl QueryParams for ThreadParams {
    const FAMILY: Family = FAMILY;
}

impl ThreadParams {
    pub fn units(&self) -> ApiResult<MeasurementSystem> {
        measurement_system(self.measurement_system.as_deref())
    }
}

/// Parameters of session creation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// 'metric' (default) or 'imperial': unit of barbell_mass (kg or lb; default 100 kg / 220 lb)
    pub measurement_system: Option<String>,
}

impl QueryParams for CreateParams {
    const FAMILY: Family = FAMILY;
}

impl CreateParams {
    pub fn units(&self) -> ApiResult<MeasurementSystem> {
        measurement_system(self.measurement_system.as_deref())
    }
}

fn measurement_system(raw: Option<&str>) -> ApiResult<MeasurementSystem> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "metric") => Ok(MeasurementSystem::Metric),
        Some("imperial") => Ok(MeasurementSystem::Imperial),
        Some(other) => Err(ApiError::bad_request(
            FAMILY,
            format!("invalid measurement_system '{other}': use 'metric' or 'imperial'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(demo: Option<&str>, units: Option<&str>) -> ReadParams {
        ReadParams {
            demo: demo.map(str::to_owned),
            measurement_system: units.map(str::to_owned),
        }
    }

    #[test]
    fn demo_accepts_true_false_one_zero_and_empty() {
        for (raw, expected) in [
            (None, false),
            (Some(""), false),
            (Some("FALSE"), false),
            (Some("0"), false),
            (Some("True"), true),
            (Some("1"), true),
        ] {
            assert_eq!(read(raw, None).demo().unwrap(), expected, "{raw:?}");
        }
        let error = read(Some("Maybe"), None).demo().unwrap_err();
        assert_eq!(
            error.message,
            "invalid demo value 'maybe': use true or false"
        );
    }

    #[test]
    fn units_default_to_metric_and_reject_others() {
        assert_eq!(read(None, None).units().unwrap(), MeasurementSystem::Metric);
        assert_eq!(
            read(None, Some("IMPERIAL")).units().unwrap(),
            MeasurementSystem::Imperial
        );
        assert_eq!(
            read(None, Some("furlongs")).units().unwrap_err().status,
            400
        );
    }
}
