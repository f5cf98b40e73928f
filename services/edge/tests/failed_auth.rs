//! Guessing credentials is limited per client address: after the allowance of
//! refused credentials, the address gets 429 with `Retry-After` (whatever it
//! presents), while other addresses are unaffected.

mod support;

use support::Harness;

const ALLOWANCE: u32 = 5;

/// Clients are told apart by `X-Forwarded-For`, which the edge believes because the
/// test's loopback address is configured as a trusted proxy.
async fn edge() -> Harness {
    Harness::start_with(|config| {
        config.failed_auth_allowance = ALLOWANCE;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
}

async fn get_sessions(edge: &Harness, client: &str, key: &str) -> reqwest::Response {
    edge.client
        .get(edge.url("/sessions"))
        .header("x-forwarded-for", client)
        .header("authorization", format!("API-KEY {key}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_api_keys_from_one_address_end_in_429_with_retry_after() {
    let edge = edge().await;
    let attacker = "203.0.113.7";
    for guess in 0..=ALLOWANCE {
        let response = get_sessions(&edge, attacker, &format!("guess-{guess}")).await;
        assert_eq!(response.status(), 401, "guess {guess}");
    }
    // Blocked now, even with a new guess, and even with a valid key.
    for key in ["guess-next", "admin-key"] {
        let blocked = get_sessions(&edge, attacker, key).await;
        assert_eq!(blocked.status(), 429, "{key}");
        let retry: u64 = blocked.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry >= 1);
    }
    // Another client is not affected.
    assert_eq!(
        get_sessions(&edge, "198.51.100.4", "admin-key")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn wrong_oauth_client_secrets_are_counted_too() {
    let edge = edge().await;
    let token = |secret: String| {
        edge.client
            .post(edge.url("/oauth2/token"))
            .header("x-forwarded-for", "203.0.113.9")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "admin"),
                ("client_secret", secret.as_str()),
            ])
            .send()
    };
    for guess in 0..=ALLOWANCE {
        let response = token(format!("wrong-{guess}")).await.unwrap();
        assert_eq!(response.status(), 401, "guess {guess}");
    }
    let blocked = token("admin-key".to_owned()).await.unwrap();
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_few_mistakes_do_not_block_an_honest_client() {
    let edge = edge().await;
    let client = "198.51.100.20";
    for _ in 0..ALLOWANCE {
        assert_eq!(get_sessions(&edge, client, "typo").await.status(), 401);
    }
    assert_eq!(get_sessions(&edge, client, "admin-key").await.status(), 200);
}
