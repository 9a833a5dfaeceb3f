//! Customer accounts: registration, signing out of one session or of all,
//! password changes, the one-time verification and password-reset tokens,
//! and addresses checked against the tenant's regions.

use futures_util::FutureExt;
use reqwest::Method;
use serde_json::{Value, json};

use super::{PASSWORD, as_shopper, customer_id, emailed_token, register, schema, session};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

#[e2e]
async fn accounts_sign_in_out_and_everywhere() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("a"));
    let registered = register(&app, &s.storefront, &email).await;
    assert_eq!(registered["customer"]["email"], email.to_lowercase());
    assert_eq!(registered["customer"]["email_verified"], false);
    let first = session(&registered);

    // Email is case-insensitive; the second session is independent.
    let login = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email.to_uppercase(), "password": PASSWORD }),
        )
        .await
        .expect(200);
    let second = session(&login);
    assert_ne!(first, second);
    let me = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(200);
    assert_eq!(me["id"], registered["customer"]["id"]);
    assert_eq!(me["name"], "Sam Shopper");

    // The same email cannot open a second account in the brand.
    app.post(
        "/v1/customers",
        &s.storefront,
        json!({ "email": email, "password": "another password" }),
    )
    .await
    .expect_problem(409, "email_taken");
    app.post(
        "/v1/customers",
        &s.storefront,
        json!({ "email": "short@x.example", "password": "short" }),
    )
    .await
    .expect_problem(422, "weak_password");

    // Logging out ends one session only.
    as_shopper(
        &app,
        Method::POST,
        "/v1/customers/logout",
        &s.storefront,
        &first,
        None,
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &first,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(200);

    // Changing the password keeps this session and ends the others.
    let third = session(
        &app.post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
        .expect(200),
    );
    as_shopper(
        &app,
        Method::PUT,
        "/v1/customers/me/password",
        &s.storefront,
        &second,
        Some(json!({ "current_password": "wrong one!", "new_password": "a brand new secret" })),
    )
    .await
    .expect_problem(422, "wrong_password");
    as_shopper(
        &app,
        Method::PUT,
        "/v1/customers/me/password",
        &s.storefront,
        &second,
        Some(json!({ "current_password": PASSWORD, "new_password": "a brand new secret" })),
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &third,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(200);

    // Log out everywhere ends even the session that asked.
    as_shopper(
        &app,
        Method::DELETE,
        "/v1/customers/me/sessions",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    // A made-up session is refused the same way.
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        "cs_nope",
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.stop().await;
}

#[e2e]
async fn verification_and_reset_tokens_work_once_and_expire() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("t"));
    let view = register(&app, &s.storefront, &email).await;
    let (id, me) = (customer_id(&view), session(&view));
    assert!(
        !serde_json::to_string(&view).expect("json").contains("ev_"),
        "the verification token is never in a response"
    );

    let verify = emailed_token(&app, &s, "customer.email_verification_requested", &id).await;
    app.post(
        "/v1/customers/verify-email",
        &s.storefront,
        json!({ "token": verify }),
    )
    .await
    .expect(204);
    app.post(
        "/v1/customers/verify-email",
        &s.storefront,
        json!({ "token": verify }),
    )
    .await
    .expect_problem(422, "invalid_token");
    let me_now = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(me_now["email_verified"], true);

    // A reset token works once and ends every session.
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    let reset = emailed_token(&app, &s, "customer.password_reset_requested", &id).await;
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": reset, "password": "the new password" }),
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": reset, "password": "another new password" }),
    )
    .await
    .expect_problem(422, "invalid_token");
    app.post(
        "/v1/customers/login",
        &s.storefront,
        json!({ "email": email, "password": "the new password" }),
    )
    .await
    .expect(200);

    // An expired token is refused (its clock moved past the expiry).
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    let late = emailed_token(&app, &s, "customer.password_reset_requested", &id).await;
    app.db()
        .tenant_tx(&schema(&s), |conn| {
            async move {
                use diesel_async::RunQueryDsl;
                diesel::sql_query(
                    "UPDATE customer_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
                )
                .execute(conn.pg())
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("age the token");
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": late, "password": "too late password" }),
    )
    .await
    .expect_problem(422, "invalid_token");
    // Asking again issues a new token, and the older one stops working.
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    let newer = emailed_token(&app, &s, "customer.password_reset_requested", &id).await;
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": newer, "password": "superseded password" }),
    )
    .await
    .expect_problem(422, "invalid_token");
    app.stop().await;
}

#[e2e]
async fn addresses_are_checked_against_the_tenants_regions() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let me = session(&register(&app, &s.storefront, "addr@shoppers.example").await);
    let address = |region: &str, default_shipping: bool| {
        json!({ "name": "Sam", "line1": "1 Main St", "city": "Town", "postal_code": "80202",
                "region": region, "default_shipping": default_shipping })
    };
    let refused = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(address("US-NY", false)),
    )
    .await
    .expect_problem(422, "region_not_enabled");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("US-NY") && d.contains("US-CA")),
        "{refused}"
    );
    let first = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(address("US-CA", true)),
    )
    .await
    .expect(201);
    assert_eq!(first["default_shipping"], true);
    let second = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(address("US-CO", true)),
    )
    .await
    .expect(201);
    let list = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    let defaults: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["default_shipping"] == true)
        .collect();
    assert_eq!(defaults.len(), 1, "one default shipping address: {list}");
    assert_eq!(defaults[0]["id"], second["id"]);
    as_shopper(
        &app,
        Method::PUT,
        &format!(
            "/v1/customers/me/addresses/{}",
            first["id"].as_str().expect("id")
        ),
        &s.storefront,
        &me,
        Some(
            json!({ "name": "", "line1": "x", "city": "y", "postal_code": "1", "region": "US-CA" }),
        ),
    )
    .await
    .expect_problem(422, "invalid_name");
    app.stop().await;
}
