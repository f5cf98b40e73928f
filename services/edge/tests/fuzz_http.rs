//! Byte-mutation fuzzing of what the edge parses from the internet, through its real
//! HTTP server (issue 20): multipart upload bodies and external JWTs, each a valid
//! request with bytes flipped, cut, inserted or repeated. The edge must answer every
//! one with a 4xx or a success, never a 5xx or a dropped connection, and a mutated
//! token must never be accepted. `PROPTEST_CASES` sets the length of the run (CI runs
//! the default 256 per target; README: the long run).

mod support;

use std::path::Path;
use std::sync::OnceLock;

use fitvision_byte_mutations::{mutated, mutations};
use fitvision_edge::Config;
use fitvision_edge::jwt::JwtConfig;
use proptest::prelude::*;
use support::Harness;
use support::tokens::{self, AUDIENCE, ISSUER, TRUSTED_KID};

const BOUNDARY: &str = "fuzzboundary7MA4YWxkTrZu0gW";

struct Target {
    runtime: tokio::runtime::Runtime,
    harness: Harness,
    /// A workout session of the fake session service to submit into.
    session_id: String,
    token: String,
}

/// One edge (with a fake session service) for every case: starting one per case
/// would measure start-up, not parsing.
fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fixtures = tokens::fixtures(Path::new(env!("CARGO_MANIFEST_DIR")));
        let jwks = fixtures.join("jwks.json").display().to_string();
        let harness = runtime.block_on(Harness::start_with(|c: &mut Config| {
            c.jwt = JwtConfig {
                jwks: Some(jwks),
                issuer: Some(ISSUER.into()),
                audience: Some(AUDIENCE.into()),
                ..JwtConfig::default()
            };
            // Every case is a refused credential or a request of its own: measure
            // the parsers, not the limiters.
            c.failed_auth_allowance = u32::MAX;
            c.rate_limit_per_s = 1_000_000;
            c.rate_limit_burst = 1_000_000;
        }));
        let (status, created) = runtime.block_on(harness.send_json(
            reqwest::Method::POST,
            "/session/create",
            "API-KEY admin-key",
        ));
        assert!(status.is_success(), "{created}");
        let session_id = created["session_id"].as_str().unwrap().to_owned();
        let token = tokens::sign(
            &fixtures,
            "trusted",
            Some(TRUSTED_KID),
            &tokens::claims("fuzz-user", "gofa"),
        );
        Target {
            runtime,
            harness,
            session_id,
            token,
        }
    })
}

fn multipart_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"exercise_type\"\r\n\r\npushup\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"set.mp4\"\r\n\
             Content-Type: video/mp4\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(support::video_bytes().into_iter().take(4096));
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_multipart_uploads_get_a_client_error_or_success(
        edits in mutations(5),
    ) {
        let target = target();
        let body = mutated(&multipart_body(), &edits);
        let url = target
            .harness
            .url(&format!("/session/{}/submit-exercise", target.session_id));
        let status = target.runtime.block_on(async {
            target
                .harness
                .client
                .post(url)
                .header("authorization", "API-KEY admin-key")
                .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
                .body(body)
                .send()
                .await
                .map(|r| r.status())
        });
        let status = status.map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
        prop_assert!(!status.is_server_error(), "{status}");
    }

    #[test]
    fn mutated_tokens_are_refused(edits in mutations(4)) {
        let target = target();
        let token = mutated(target.token.as_bytes(), &edits);
        let unchanged = token == target.token.as_bytes();
        // A header value cannot carry every byte: those are the HTTP client's to refuse.
        let Ok(value) = reqwest::header::HeaderValue::from_bytes(
            &[b"Bearer ".as_slice(), token.as_slice()].concat(),
        ) else {
            return Ok(());
        };
        let status = target.runtime.block_on(async {
            target
                .harness
                .client
                .get(target.harness.url("/api/ai-move/records"))
                .header("authorization", value)
                .send()
                .await
                .map(|r| r.status())
        });
        let status = status.map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
        prop_assert!(!status.is_server_error(), "{status}");
        if !unchanged {
            prop_assert!(
                status.is_client_error(),
                "a mutated token was answered {status}"
            );
        }
    }
}
