//! The Helm chart matches the binaries: every variable and flag it passes a service is
//! one that service's binary accepts (its `--help`), every variable a service is given
//! has a value in the template, and the gRPC callers are pointed at headless Services
//! (so they balance over the replicas). No helm binary is available from the package
//! registries, so the chart's values and template are read as files.

use std::collections::BTreeSet;
use std::process::Command;

use fitvision_integration_tests::{workspace_binary, workspace_root};
use serde_json::Value;

/// Read by libraries or the service kit rather than by a binary's flags, so absent
/// from `--help`: object_store's S3 settings, the OTLP exporter, the log format.
const READ_OUTSIDE_FLAGS: [&str; 7] = [
    "AWS_ENDPOINT",
    "AWS_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "FITVISION_LOG_FORMAT",
];

fn chart_file(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join("helm/fitvision").join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| v.as_str().expect("a variable name").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The keys of the template's `$config` dict: the variables it can give a value.
fn template_variables(template: &str) -> BTreeSet<String> {
    let start = template.find("$config := dict").expect("the $config dict");
    let end = template[start..].find("}}").expect("end of the dict") + start;
    template[start..end]
        .lines()
        .skip(1)
        .filter_map(|line| line.trim().strip_prefix('"')?.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn help_of(binary: &str) -> String {
    let path = workspace_binary(binary);
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --workspace --bins` first",
        path.display()
    );
    let output = Command::new(&path)
        .arg("--help")
        .output()
        .expect("--help runs");
    assert!(output.status.success(), "{binary} --help failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn accepts_variable(help: &str, variable: &str) -> bool {
    help.contains(&format!("[env: {variable}=")) || help.contains(&format!("[env: {variable}]"))
}

#[test]
fn every_variable_and_flag_in_the_chart_is_accepted_by_its_binary() {
    let values: Value = serde_norway::from_str(&chart_file("values.yaml")).expect("values.yaml");
    let template = chart_file("templates/services.yaml");
    let defined = template_variables(&template);
    assert!(defined.contains("FITVISION_DATABASE_URL"), "{defined:?}");

    let services = values["services"].as_object().expect("services");
    assert_eq!(
        services.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "cheat-detection",
            "coaching",
            "edge",
            "exercise-metrics",
            "pose-inference",
            "session"
        ]
    );
    // Every binary is started with `--addr 0.0.0.0:<port>`.
    assert!(template.contains(r#"args: ["--addr", "0.0.0.0:{{ $svc.port }}"]"#));
    for (service, settings) in services {
        let help = help_of(service);
        assert!(help.contains("--addr"), "{service} has no --addr");
        for variable in names(&settings["env"]) {
            assert!(
                defined.contains(&variable),
                "{service}: {variable} has no value in the template"
            );
            assert!(
                READ_OUTSIDE_FLAGS.contains(&variable.as_str())
                    || accepts_variable(&help, &variable),
                "{service} does not accept {variable}:\n{help}"
            );
        }
        for variable in names(&settings["secretEnv"]) {
            assert!(
                READ_OUTSIDE_FLAGS.contains(&variable.as_str())
                    || accepts_variable(&help, &variable),
                "{service} does not accept secret {variable}:\n{help}"
            );
        }
    }

    // What each caller must be told, and the secrets that make replicas interchangeable.
    let env_of = |service: &str| names(&services[service]["env"]);
    let secrets_of = |service: &str| names(&services[service]["secretEnv"]);
    for url in [
        "FITVISION_POSE_INFERENCE_URL",
        "FITVISION_CHEAT_DETECTION_URL",
        "FITVISION_EXERCISE_METRICS_URL",
        "FITVISION_COACHING_URL",
        "FITVISION_DATABASE_URL",
        "FITVISION_STORAGE_URL",
    ] {
        assert!(
            env_of("session").iter().any(|v| v == url),
            "session lacks {url}"
        );
    }
    assert!(env_of("edge").iter().any(|v| v == "FITVISION_SESSION_URL"));
    assert!(
        secrets_of("edge")
            .iter()
            .any(|v| v == "FITVISION_URL_SIGNING_KEY")
    );
    assert!(
        secrets_of("session")
            .iter()
            .any(|v| v == "FITVISION_TOKEN_SECRET")
    );
    // Internal services listen on 0.0.0.0 in the chart: they need the service token,
    // and the session must send it.
    for service in [
        "edge",
        "session",
        "pose-inference",
        "cheat-detection",
        "exercise-metrics",
        "coaching",
    ] {
        assert!(
            secrets_of(service)
                .iter()
                .any(|v| v == "FITVISION_SERVICE_TOKEN"),
            "{service} lacks the service token"
        );
    }
    for service in ["pose-inference", "cheat-detection", "edge"] {
        assert!(
            env_of(service).iter().any(|v| v == "FITVISION_STORAGE_URL"),
            "{service} reads the bucket"
        );
    }
}

#[test]
fn callers_reach_grpc_services_through_headless_services() {
    let helpers = chart_file("templates/_helpers.tpl");
    assert!(
        helpers.contains("http://{{ .release }}-{{ .name }}-replicas:{{ .port }}"),
        "{helpers}"
    );
    let template = chart_file("templates/services.yaml");
    let headless = template
        .split("---")
        .find(|doc| doc.contains("-replicas"))
        .expect("a headless Service");
    assert!(headless.contains("clusterIP: None"), "{headless}");
    // Probes: gRPC health on the service's port, HTTP status on the edge.
    assert!(template.contains("grpc: { port: {{ $svc.port }} }"));
    assert!(template.contains("httpGet: { path: /api/status, port: http }"));
}

#[test]
fn only_the_session_reaches_the_internal_services() {
    let values: Value = serde_norway::from_str(&chart_file("values.yaml")).expect("values.yaml");
    assert_eq!(values["networkPolicy"]["enabled"], true);
    let policy = chart_file("templates/networkpolicy.yaml");
    assert!(policy.contains("kind: NetworkPolicy"), "{policy}");
    assert!(
        policy.contains(r#"{{- if not (has $name (list "session" "edge")) }}"#),
        "{policy}"
    );
    assert!(
        policy.contains("app.kubernetes.io/name: session"),
        "{policy}"
    );
    assert!(policy.contains("policyTypes: [Ingress]"), "{policy}");
}
