//! Test-only JWT minting with the committed key pairs of `tests/fixtures/jwt`
//! (shared with integration-tests through `#[path]`, so it stays self-contained).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// Firebase-style issuer and audience the tests configure.
pub const ISSUER: &str = "https://securetoken.google.com/fitvision-test";
pub const AUDIENCE: &str = "fitvision-test";
/// Key ids of `jwks.json` (trusted) and `jwks_rotated.json` (adds rotated).
pub const TRUSTED_KID: &str = "fv-test-1";
pub const ROTATED_KID: &str = "fv-test-2";

/// The fixture folder, given the edge crate's directory.
pub fn fixtures(edge_crate_dir: &Path) -> PathBuf {
    edge_crate_dir.join("tests/fixtures/jwt")
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Claims of a valid Firebase ID token for `user` of `tenant` (10 minutes).
pub fn claims(user: &str, tenant: &str) -> Value {
    let now = now_s();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user,
        "user_id": user,
        "tenant_id": tenant,
        "auth_time": now - 60,
        "iat": now - 60,
        "exp": now + 600,
    })
}

/// An RS256 token signed with `<key>_private.pem` (`trusted`, `rotated`, `untrusted`).
pub fn sign(fixtures: &Path, key: &str, kid: Option<&str>, claims: &Value) -> String {
    let pem = std::fs::read(fixtures.join(format!("{key}_private.pem"))).expect("fixture key");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(&pem).expect("RSA PEM"),
    )
    .expect("signing")
}

/// An unsigned `alg: none` token with these claims.
pub fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

/// Every way a token must be refused, as (case, token).
pub fn refused_tokens(fixtures: &Path, user: &str, tenant: &str) -> Vec<(&'static str, String)> {
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims(user, tenant);
        edit(&mut c);
        c
    };
    let trusted = |c: &Value| sign(fixtures, "trusted", Some(TRUSTED_KID), c);
    vec![
        (
            "expired",
            trusted(&with(&|c| {
                c["iat"] = json!(now_s() - 7200);
                c["exp"] = json!(now_s() - 3600);
            })),
        ),
        (
            "wrong audience",
            trusted(&with(&|c| c["aud"] = json!("another-project"))),
        ),
        (
            "wrong issuer",
            trusted(&with(&|c| {
                c["iss"] = json!("https://securetoken.google.com/another-project")
            })),
        ),
        (
            "unknown kid",
            sign(
                fixtures,
                "trusted",
                Some("no-such-kid"),
                &claims(user, tenant),
            ),
        ),
        (
            "bad signature",
            sign(
                fixtures,
                "untrusted",
                Some(TRUSTED_KID),
                &claims(user, tenant),
            ),
        ),
        ("alg none", unsigned(&claims(user, tenant))),
        (
            "no user",
            trusted(&with(&|c| {
                c["sub"] = json!("");
                c["user_id"] = json!("");
            })),
        ),
    ]
}
