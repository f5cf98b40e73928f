//! Byte-mutation fuzzing of what the edge parses from the internet, through its real
//! HTTP server (issue 20): multipart upload bodies, external JWTs and the `Range` header
//! of signed downloads, each a valid request with bytes flipped, cut, inserted or
//! repeated. The edge must answer every one with a 4xx or a success, never a 5xx or a
//! dropped connection, a mutated token must never be accepted, and a partial download
//! must be exactly the bytes its `Content-Range` names. `PROPTEST_CASES` sets the length of the run (CI runs
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
    /// A signed download URL of [`download_bytes`], stored in the harness's object store.
    download_url: String,
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
        let key = "fuzz/download.bin";
        let file = harness.storage.path().join(key);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, download_bytes()).unwrap();
        let signer = fitvision_edge::signing::Signer::new(b"test-signing-key".to_vec(), 3600);
        let (expires, sig) = signer.sign_download(key, fitvision_edge::signing::now_s());
        let download_url = harness.url(&format!("/files/{key}?expires={expires}&sig={sig}"));
        Target {
            runtime,
            harness,
            download_url,
            session_id,
            token,
        }
    })
}

/// The downloaded object: 40,000 bytes, each telling its position apart from its
/// neighbours', so a wrong slice cannot pass for the right one.
fn download_bytes() -> Vec<u8> {
    (0..40_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// Valid `Range` values the mutations start from: single, open, suffix and multiple ranges.
const RANGE_SEEDS: [&str; 6] = [
    "bytes=0-99",
    "bytes=1000-",
    "bytes=-500",
    "bytes=39990-40010",
    "bytes=0-0,5-9",
    "bytes=100-200, 300-400",
];

/// `bytes first-last/total` of a `Content-Range` header.
fn content_range(value: &str) -> Option<(usize, usize, usize)> {
    let (span, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()?, total.parse().ok()?))
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

    #[test]
    fn mutated_range_headers_get_the_bytes_they_name_or_a_client_error(
        seed in 0..RANGE_SEEDS.len(),
        edits in mutations(4),
    ) {
        let target = target();
        let range = mutated(RANGE_SEEDS[seed].as_bytes(), &edits);
        let Ok(value) = reqwest::header::HeaderValue::from_bytes(&range) else {
            return Ok(());
        };
        let answer = target.runtime.block_on(async {
            let response = target
                .harness
                .client
                .get(&target.download_url)
                .header("range", value)
                .send()
                .await?;
            let status = response.status();
            let range_header = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Ok::<_, reqwest::Error>((status, range_header, response.bytes().await?))
        });
        let (status, range_header, body) =
            answer.map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
        let file = download_bytes();
        match status.as_u16() {
            200 => prop_assert_eq!(body.as_ref(), file.as_slice()),
            206 => {
                let header = range_header.unwrap_or_default();
                let (first, last, total) = content_range(&header)
                    .ok_or_else(|| TestCaseError::fail(format!("206 with Content-Range {header:?}")))?;
                prop_assert_eq!(total, file.len());
                prop_assert!(first <= last && last < file.len(), "{}", header);
                prop_assert_eq!(body.as_ref(), &file[first..=last]);
            }
            code => prop_assert!((400..500).contains(&code), "{}", status),
        }
    }
}
