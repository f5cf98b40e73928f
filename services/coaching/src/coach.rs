//! The coach: plans one piece of feedback per topic (per exercise for
//! `overall`), writes the built-in text, and lets the LLM rewrite it when one is
//! configured, keeping the built-in text whenever the LLM fails or states a
//! number it was not given.

use fitvision_proto::v1::{AnalysisResult, Feedback, GenerateFeedbackRequest, Subject};

use futures::{StreamExt, stream};

use crate::builtin;
use crate::language::{Language, UnsupportedLanguage};
use crate::llm::LlmClient;
use crate::prompt;
use crate::script::ChineseScript;
use crate::topic::{Topic, UnknownTopic};
use crate::units::UnitSystem;
use crate::verify::AllowedNumbers;

/// Provider name of the built-in coach.
pub const BUILTIN_PROVIDER: &str = "builtin";

/// A request the coach cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum CoachError {
    /// AI Exercise Trainer API: "AI analysis requires at least 1 completed exercise".
    #[error("AI analysis requires at least 1 completed exercise")]
    NoCompletedExercise,
    #[error(transparent)]
    Language(#[from] UnsupportedLanguage),
    #[error(transparent)]
    Topic(#[from] UnknownTopic),
}

/// One piece of feedback to write.
struct Item<'a> {
    topic: Topic,
    /// The exercise of an `overall` item; session-wide topics cover all results.
    exercise: Option<&'a AnalysisResult>,
}

/// What one request asks for, validated.
struct Plan<'a> {
    results: &'a [AnalysisResult],
    subject: Subject,
    system: UnitSystem,
    language: Language,
    /// Script of Chinese text; `None` for English.
    script: Option<ChineseScript>,
    items: Vec<Item<'a>>,
}

impl<'a> Plan<'a> {
    fn new(request: &'a GenerateFeedbackRequest) -> Result<Self, CoachError> {
        if request.results.is_empty() {
            return Err(CoachError::NoCompletedExercise);
        }
        let language = Language::from_tag(&request.language)?;
        let script =
            (language == Language::Chinese).then(|| ChineseScript::from_tag(&request.language));
        let subject = request.subject.unwrap_or_default();
        let system = UnitSystem::from_proto(subject.measurement_system);
        let mut topics: Vec<Topic> = Vec::new();
        for topic in &request.topics {
            let topic = Topic::parse(&topic.topic)?;
            if !topics.contains(&topic) {
                topics.push(topic);
            }
        }
        if topics.is_empty() {
            topics.push(Topic::Overall);
        }
        let items = topics
            .into_iter()
            .flat_map(|topic| match topic {
                Topic::Overall => request
                    .results
                    .iter()
                    .map(|result| Item {
                        topic,
                        exercise: Some(result),
                    })
                    .collect::<Vec<_>>(),
                _ => vec![Item {
                    topic,
                    exercise: None,
                }],
            })
            .collect();
        Ok(Self {
            results: &request.results,
            subject,
            system,
            language,
            script,
            items,
        })
    }

    /// Chinese text in the requested script (labels may arrive in either).
    fn in_script(&self, text: String) -> String {
        match self.script {
            Some(script) => script.convert(&text),
            None => text,
        }
    }

    fn builtin_text(&self, item: &Item) -> String {
        let text = match item.exercise {
            Some(result) => builtin::overall(result, &self.subject, self.system, self.language),
            None => builtin::session_topic(
                item.topic,
                self.results,
                &self.subject,
                self.system,
                self.language,
            ),
        };
        self.in_script(text)
    }

    fn covered(&self, item: &Item<'a>) -> Vec<&'a AnalysisResult> {
        match item.exercise {
            Some(result) => vec![result],
            None => self.results.iter().collect(),
        }
    }

    /// Exercise id of an item: its own, or the only one of the session.
    fn exercise_id(&self, item: &Item) -> String {
        match (item.exercise, self.results) {
            (Some(result), _) | (None, [result]) => result.exercise_id.clone(),
            (None, _) => String::new(),
        }
    }
}

/// Writes feedback; cheap to share behind an `Arc`.
#[derive(Clone, Debug, Default)]
pub struct Coach {
    llm: Option<LlmClient>,
    concurrency: usize,
}

impl Coach {
    /// The offline, deterministic coach.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// A coach that asks `llm` first; `concurrency` bounds parallel requests.
    pub fn with_llm(llm: LlmClient, concurrency: usize) -> Self {
        Self {
            llm: Some(llm),
            concurrency: concurrency.max(1),
        }
    }

    /// Feedback for every requested topic, in request order.
    pub async fn generate(
        &self,
        request: &GenerateFeedbackRequest,
    ) -> Result<Vec<Feedback>, CoachError> {
        let plan = Plan::new(request)?;
        // Futures built eagerly: a lazily mapping closure over borrowed items
        // trips the compiler's Send inference inside the async gRPC handler.
        let writes: Vec<_> = plan
            .items
            .iter()
            .map(|item| self.write(&plan, item))
            .collect();
        let feedback = stream::iter(writes)
            .buffered(self.concurrency.max(1))
            .collect()
            .await;
        Ok(feedback)
    }

    async fn write(&self, plan: &Plan<'_>, item: &Item<'_>) -> Feedback {
        let draft = plan.builtin_text(item);
        let mut feedback = Feedback {
            topic: item.topic.id().to_owned(),
            text: draft.clone(),
            provider: BUILTIN_PROVIDER.to_owned(),
            fallback_reason: String::new(),
            exercise_id: plan.exercise_id(item),
        };
        let Some(llm) = &self.llm else {
            return feedback;
        };
        let covered = plan.covered(item);
        let facts = prompt::facts(item.topic, &covered, &plan.subject, plan.system);
        let messages = prompt::messages(item.topic, &facts, &draft, plan.system, plan.language);
        match llm.complete(&messages).await {
            Ok(text) => {
                let max_rep_index = covered
                    .iter()
                    .map(|result| result.rep_count)
                    .max()
                    .unwrap_or_default();
                let allowed = AllowedNumbers::from_sources(
                    facts.iter().map(String::as_str).chain([draft.as_str()]),
                    max_rep_index,
                );
                match allowed.first_unverified(&text) {
                    None => {
                        feedback.text = plan.in_script(text);
                        feedback.provider = format!("llm:{}", llm.model());
                    }
                    Some(number) => {
                        feedback.fallback_reason = format!(
                            "the LLM reply stated {number}, a number that was not measured"
                        );
                    }
                }
            }
            Err(error) => feedback.fallback_reason = format!("LLM request failed: {error}"),
        }
        if !feedback.fallback_reason.is_empty() {
            tracing::warn!(
                topic = %item.topic,
                reason = %feedback.fallback_reason,
                "using the built-in coach"
            );
        }
        feedback
    }
}
