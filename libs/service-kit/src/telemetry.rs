//! Logs, traces and metrics.
//!
//! Logs always go to stdout (`RUST_LOG` filters, `FITVISION_LOG_FORMAT=json`
//! for JSON lines). Spans always get OpenTelemetry ids, so trace ids appear in
//! logs and propagate across hops; they are exported over OTLP (traces and
//! metrics) only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

use std::io::IsTerminal as _;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Flushes exporters when dropped; keep it alive for the life of `main`.
pub struct TelemetryGuard {
    tracer_provider: SdkTracerProvider,
    meter_provider: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.tracer_provider.shutdown() {
            eprintln!("telemetry: tracer shutdown: {error}");
        }
        if let Some(meter_provider) = &self.meter_provider
            && let Err(error) = meter_provider.shutdown()
        {
            eprintln!("telemetry: meter shutdown: {error}");
        }
    }
}

/// Installs the global subscriber, propagator and (when configured) OTLP
/// exporters for a process named `service_name`. Call once per process.
pub fn init(service_name: &'static str) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = Resource::builder().with_service_name(service_name).build();
    let otlp_configured = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();

    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    if otlp_configured {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()?;
        tracer_builder = tracer_builder.with_batch_exporter(exporter);
    }
    let tracer_provider = tracer_builder.build();
    let tracer = tracer_provider.tracer(service_name);
    opentelemetry::global::set_tracer_provider(tracer_provider.clone());

    let meter_provider = if otlp_configured {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()?;
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_periodic_exporter(exporter)
            .build();
        opentelemetry::global::set_meter_provider(provider.clone());
        Some(provider)
    } else {
        None
    };

    // ONNX Runtime logs every arena reservation at INFO: keep it to warnings.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,ort=warn"));
    // Colour codes only for a terminal; log files and collectors get plain text.
    let ansi = std::io::stdout().is_terminal();
    let otel_layer = tracing_opentelemetry::layer().with_tracer(tracer);
    let json = std::env::var("FITVISION_LOG_FORMAT").is_ok_and(|format| format == "json");
    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    let installed = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true),
            )
            .try_init()
    } else {
        registry
            .with(tracing_subscriber::fmt::layer().with_ansi(ansi))
            .try_init()
    };
    if let Err(error) = installed {
        // Tests and the all-in-one may call init more than once; the first wins.
        tracing::debug!(%error, "tracing subscriber already installed");
    }
    Ok(TelemetryGuard {
        tracer_provider,
        meter_provider,
    })
}
