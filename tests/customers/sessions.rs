//! Logging in safely: login that does not reveal which emails have
//! accounts, throttling per account and per address, and sessions that
//! hold on every node and end everywhere.

use reqwest::Method;
use serde_json::{Value, json};

use super::{PASSWORD, as_shopper, events, register, session};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

#[e2e]
async fn login_does_not_reveal_which_emails_have_accounts() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("e"));
    register(&app, &s.storefront, &email).await;
    let wrong_password = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": "not the password" }),
        )
        .await
        .expect_problem(401, "invalid_credentials");
    let started = std::time::Instant::now();
    let unknown = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": format!("nobody-{}", email), "password": "not the password" }),
        )
        .await
        .expect_problem(401, "invalid_credentials");
    let unknown_took = started.elapsed();
    assert_eq!(
        wrong_password, unknown,
        "an unknown email and a wrong password answer alike"
    );
    // The unknown email still costs a password hash (no fast path to time).
    assert!(
        unknown_took >= std::time::Duration::from_millis(5),
        "unknown email answered in {unknown_took:?}: no hashing work was done"
    );
    // A reset request is accepted either way, and only a real account gets
    // a token (to the tenant, never in the response).
    for who in [email.clone(), format!("nobody-{email}")] {
        let reply = app
            .post(
                "/v1/customers/password-reset",
                &s.storefront,
                json!({ "email": who }),
            )
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        assert_eq!(reply.body, Value::Null, "no body, no token");
    }
    let resets = events(&app, &s, "customer.password_reset_requested").await;
    assert_eq!(
        resets.len(),
        1,
        "one token, for the real account: {resets:?}"
    );
    assert_eq!(resets[0]["email"], email);
    app.stop().await;
}

#[e2e]
async fn logins_are_throttled_per_account_and_per_address() {
    let app = TestApp::builder()
        .env("BAZAAR_LOGIN_FAILURES_PER_ACCOUNT", "3")
        .env("BAZAAR_LOGIN_ATTEMPTS_PER_ADDRESS", "8")
        .start()
        .await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("r"));
    register(&app, &s.storefront, &email).await; // 1 attempt from this address
    let login = |password: &'static str, email: String| {
        let app = &app;
        let key = s.storefront.clone();
        async move {
            app.post(
                "/v1/customers/login",
                &key,
                json!({ "email": email, "password": password }),
            )
            .await
        }
    };
    for _ in 0..3 {
        login("wrong password", email.clone())
            .await
            .expect_problem(401, "invalid_credentials");
    }
    // The account is locked for the window: even the right password waits.
    let locked = login(PASSWORD, email.clone()).await;
    let retry_after: u64 = locked
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After header");
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    locked.expect_problem(429, "too_many_attempts");
    // Unknown accounts lock the same way (no telling them apart by 429s).
    let ghost = format!("ghost-{email}");
    for _ in 0..3 {
        login("wrong password", ghost.clone())
            .await
            .expect_problem(401, "invalid_credentials");
    }
    // That was attempt 8 from this address; the 9th is refused whatever it is.
    login("wrong password", ghost.clone())
        .await
        .expect_problem(429, "too_many_attempts");
    app.post(
        "/v1/customers/login",
        &s.storefront,
        json!({ "email": format!("fresh-{email}"), "password": PASSWORD }),
    )
    .await
    .expect_problem(429, "too_many_attempts");
    app.stop().await;
}

#[e2e]
async fn sessions_hold_across_nodes_and_end_everywhere() {
    let a = TestApp::builder().redis().start().await;
    let s = Shop::stocked(&a, 5).await;
    let b = TestApp::builder()
        .redis()
        .cache_namespace(&a.config.cache_namespace)
        .start()
        .await;
    let me = session(&register(&a, &s.storefront, "nodes@shoppers.example").await);
    for app in [&a, &b] {
        as_shopper(
            app,
            Method::GET,
            "/v1/customers/me",
            &s.storefront,
            &me,
            None,
        )
        .await
        .expect(200);
    }
    // Ended on A: refused on B at once (the shared cache forgot it).
    as_shopper(
        &a,
        Method::DELETE,
        "/v1/customers/me/sessions",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(204);
    as_shopper(
        &b,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    b.stop().await;
    a.stop().await;
}
