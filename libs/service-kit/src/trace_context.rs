//! W3C trace-context (`traceparent`) across every hop.
//!
//! Servers extract the caller's context from request headers and make it the
//! parent of the request span; clients inject the current span's context into
//! outgoing metadata. The trace id is recorded on the request span as the
//! `trace_id` field so it shows up in every log line of the request, in every
//! service, whether or not an OTLP collector is configured.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The request id as the logs show it. A client may send its own `x-request-id`;
/// only ids of up to 128 letters, digits and `-_.:` are written as given, anything
/// else reads `(invalid)`, so that no client can forge log fields or lines (a value
/// with `trace_id=...` or quotes in it) or flood a log line.
pub fn loggable_request_id(raw: &str) -> &str {
    let safe = raw.len() <= 128
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if safe { raw } else { "(invalid)" }
}

/// Creates the span for one incoming request: parented on the caller's
/// `traceparent` when present, with `trace_id` recorded for the logs.
pub fn request_span(kind: &'static str, method: &str, headers: &http::HeaderMap) -> tracing::Span {
    let request_id = loggable_request_id(
        headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or(""),
    );
    let span = tracing::info_span!(
        "request",
        kind,
        method = %method,
        request_id = %request_id,
        trace_id = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    });
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    if let Some(trace_id) = trace_id_of(&span) {
        span.record("trace_id", tracing::field::display(trace_id));
    }
    span
}

/// The trace id of `span` as 32 hex digits, when it has a valid context.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// Writes the current span's context into outgoing HTTP/2 headers.
pub fn inject_current(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// The current span's context as a W3C `traceparent` value, for work that
/// outlives the request (a queued job) and must stay in the caller's trace.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut headers = http::HeaderMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(&mut headers));
    });
    headers
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Makes the context in `traceparent` (from [`current_traceparent`]) the
/// parent of `span` and records its `trace_id` field when the span has one.
/// An invalid value leaves the span as it is.
pub fn set_parent_from_traceparent(span: &tracing::Span, traceparent: &str) {
    let mut headers = http::HeaderMap::new();
    let Ok(value) = http::HeaderValue::from_str(traceparent) else {
        return;
    };
    headers.insert("traceparent", value);
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(&headers))
    });
    if !parent.span().span_context().is_valid() {
        return;
    }
    let _ = span.set_parent(parent);
    if let Some(trace_id) = trace_id_of(span) {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

#[cfg(test)]
mod request_id_tests {
    use super::loggable_request_id;

    #[test]
    fn only_plain_request_ids_reach_the_logs() {
        let uuid = "0192f3a4-7b1c-7d2e-8f90-123456789abc";
        assert_eq!(loggable_request_id(uuid), uuid);
        assert_eq!(loggable_request_id("req:42_a.b"), "req:42_a.b");
        assert_eq!(loggable_request_id(""), "");
        assert_eq!(loggable_request_id("x trace_id=deadbeef"), "(invalid)");
        assert_eq!(loggable_request_id("\"quoted\""), "(invalid)");
        assert_eq!(loggable_request_id(&"a".repeat(129)), "(invalid)");
    }
}
