//! `POST /{activity}/sessions/`: the multipart form is checked field by field into
//! a [`NewSession`] before the session is created, so the video streams into a
//! session that is known to be valid.

use std::collections::HashMap;

use fitvision_proto::v1::{CreateSessionRequest, MeasurementSystem, Session, Subject};

use super::{FAMILY, JOINTS};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, GrpcResultExt};
use crate::state::AppState;
use crate::units::mass_to_kg;
use crate::views::{Activity, title_case};

/// Barbell mass when the form gives none, in the caller's unit (100 kg, 220 lb).
fn default_barbell_mass(units: MeasurementSystem) -> f64 {
    if units == MeasurementSystem::Imperial {
        220.0
    } else {
        100.0
    }
}

/// The text fields of the create form, checked.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NewSession {
    pub user_id: String,
    /// The catalog id (`clean_and_jerk`).
    pub exercise: String,
    pub title: String,
    /// Weightlifting only; 0 for the other activities.
    pub barbell_kg: f64,
    /// Lower-case, comma-separated joints or `all`.
    pub joints: String,
    pub units: MeasurementSystem,
}

impl NewSession {
    /// Checks the form's text fields in the order the API reports their errors.
    pub fn from_form(
        fields: &HashMap<String, String>,
        caller: &Caller,
        activity: Activity,
        units: MeasurementSystem,
    ) -> ApiResult<Self> {
        let user_id = fields.get("user_id").map(|s| s.trim()).unwrap_or("");
        if user_id.is_empty() {
            return Err(ApiError::bad_request(FAMILY, "user_id is required"));
        }
        if user_id != caller.principal.user_id && !caller.is_admin() {
            return Err(ApiError::forbidden(
                FAMILY,
                "admin permission is required to create sessions for other users",
            ));
        }
        let exercise = fields
            .get("exercise_name")
            .map(|s| s.trim().to_ascii_lowercase().replace([' ', '-', '&'], "_"))
            .unwrap_or_default();
        if !activity.exercises().contains(&exercise.as_str()) {
            return Err(ApiError::bad_request(
                FAMILY,
                format!(
                    "exercise_name must be one of: {}",
                    activity.exercises().join(", ")
                ),
            ));
        }
        let barbell_kg = match activity {
            Activity::Weightlifting => mass_to_kg(barbell_mass(fields, units)?, units),
            _ => 0.0,
        };
        let joints = body_joint_angles(fields)?;
        let title = fields
            .get("session_name")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{} session", title_case(&exercise)));
        Ok(Self {
            user_id: user_id.to_owned(),
            exercise,
            title,
            barbell_kg,
            joints,
            units,
        })
    }

    pub fn subject(&self) -> Subject {
        Subject {
            barbell_mass_kg: self.barbell_kg,
            measurement_system: self.units as i32,
            ..Default::default()
        }
    }

    /// Creates the session (before the video arrives).
    pub async fn create(
        &self,
        state: &AppState,
        caller: &Caller,
        activity: Activity,
    ) -> ApiResult<Session> {
        state
            .session()
            .create_session(caller.request(CreateSessionRequest {
                kind: activity.kind() as i32,
                user_id: self.user_id.clone(),
                title: self.title.clone(),
                exercise_id: self.exercise.clone(),
                subject: Some(self.subject()),
                attributes: HashMap::from([(
                    "body_joint_angles".to_owned(),
                    self.joints.to_ascii_lowercase(),
                )]),
                ..Default::default()
            }))
            .await
            .api(FAMILY)?
            .session
            .ok_or_else(|| ApiError::internal(FAMILY, "session service returned no session"))
    }
}

/// `barbell_mass` in the caller's unit; absent or blank is the default.
fn barbell_mass(fields: &HashMap<String, String>, units: MeasurementSystem) -> ApiResult<f64> {
    match fields
        .get("barbell_mass")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => Ok(default_barbell_mass(units)),
        Some(raw) => raw
            .parse::<f64>()
            .ok()
            .filter(|m| m.is_finite() && *m > 0.0 && *m < 1000.0)
            .ok_or_else(|| ApiError::bad_request(FAMILY, "barbell_mass must be a positive number")),
    }
}

/// `body_joint_angles`: comma-separated joints, also accepted as a JSON-ish list
/// (`["knee", 'hip']`) or repeated form fields (joined with commas by the form
/// reader); absent or blank is `all`.
fn body_joint_angles(fields: &HashMap<String, String>) -> ApiResult<String> {
    let joints = fields
        .get("body_joint_angles")
        .map(|s| s.trim().trim_matches(['[', ']']).replace(['"', '\''], ""))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "all".to_owned());
    for joint in joints.split(',').map(|j| j.trim().to_ascii_lowercase()) {
        if joint != "all" && !JOINTS.contains(&joint.as_str()) {
            return Err(ApiError::bad_request(
                FAMILY,
                format!(
                    "unknown joint '{joint}' in body_joint_angles: use {}",
                    JOINTS.join(", ")
                ),
            ));
        }
    }
    Ok(joints)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ForwardedCredential;
    use fitvision_proto::v1::{Principal, Role};

    fn caller(user: &str, role: Role) -> Caller {
        Caller {
            principal: Principal {
                user_id: user.into(),
                role: role as i32,
                ..Default::default()
            },
            forwarded: ForwardedCredential::verbatim("API-KEY k").unwrap(),
        }
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn pounds_are_stored_as_kilograms_with_the_documented_defaults() {
        let me = caller("u1", Role::User);
        let fields = form(&[("user_id", "u1"), ("exercise_name", " Clean And-Jerk ")]);
        let imperial = NewSession::from_form(
            &fields,
            &me,
            Activity::Weightlifting,
            MeasurementSystem::Imperial,
        )
        .unwrap();
        assert_eq!(imperial.exercise, "clean_and_jerk");
        assert_eq!(imperial.title, "Clean And Jerk session");
        assert_eq!(imperial.joints, "all");
        assert!((imperial.barbell_kg - 99.790_321_4).abs() < 1e-6);
        let jump = NewSession::from_form(
            &form(&[("user_id", "u1"), ("exercise_name", "squat_jump")]),
            &me,
            Activity::Jumping,
            MeasurementSystem::Metric,
        )
        .unwrap();
        assert_eq!(jump.barbell_kg, 0.0);
    }

    #[test]
    fn form_errors_keep_their_order_and_wording() {
        let me = caller("u1", Role::User);
        let check = |pairs: &[(&str, &str)]| {
            NewSession::from_form(
                &form(pairs),
                &me,
                Activity::Weightlifting,
                MeasurementSystem::Metric,
            )
            .unwrap_err()
        };
        assert_eq!(check(&[]).message, "user_id is required");
        assert_eq!(check(&[("user_id", "u2")]).status, 403);
        let joints = check(&[
            ("user_id", "u1"),
            ("exercise_name", "snatch"),
            ("body_joint_angles", "[\"knee\", 'toe']"),
        ]);
        assert_eq!(
            joints.message,
            "unknown joint 'toe' in body_joint_angles: use ankle, knee, elbow, hip, shoulder"
        );
        let mass = check(&[
            ("user_id", "u1"),
            ("exercise_name", "snatch"),
            ("barbell_mass", "-3"),
        ]);
        assert_eq!(mass.message, "barbell_mass must be a positive number");
    }
}
