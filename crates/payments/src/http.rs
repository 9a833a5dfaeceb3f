//! A provider reached over HTTP, in the common shape of card processors:
//! `POST {base}/v1/charges` with an `Idempotency-Key` header and
//! `{"amount": "12.50", "currency": "USD", "source": "<token>"}`; 200 with
//! `{"id", "amount", "currency"}` on success, 402 with
//! `{"error": {"code": "card_declined" | "insufficient_funds", ...}}` for a
//! refusal, 429 and 5xx for failures that may pass. `GET
//! {base}/v1/charges?idempotency_key=<key>` lists the charges made under a
//! key (`{"data": [{"id", "amount", "currency"}]}`), to settle an order
//! whose charge was never answered.

use std::time::Duration;

use crate::{Charge, ChargeRequest, Gateway, GatewayError};

pub struct HttpGateway {
    client: reqwest::Client,
    base_url: String,
    secret_key: String,
}

impl HttpGateway {
    /// `timeout` bounds each attempt; a provider slower than that is a
    /// `Timeout` (and the retry, with the same key, finds out what happened).
    pub fn new(base_url: &str, secret_key: &str, timeout: Duration) -> Result<Self, GatewayError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| GatewayError::Transient(e.to_string()))?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: String,
}

#[async_trait::async_trait]
impl Gateway for HttpGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let response = self
            .client
            .post(format!("{}/v1/charges", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", &request.idempotency_key)
            .json(&serde_json::json!({
                "amount": request.amount.to_string(),
                "currency": request.currency,
                "source": request.payment_token,
            }))
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    GatewayError::Timeout
                } else {
                    GatewayError::Transient(e.to_string())
                }
            })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                GatewayError::Timeout
            } else {
                GatewayError::Transient(e.to_string())
            }
        })?;
        match status {
            200 | 201 => serde_json::from_slice::<Charge>(&body)
                .map_err(|e| GatewayError::Transient(format!("unreadable charge: {e}"))),
            402 => match serde_json::from_slice::<ErrorBody>(&body).map(|b| b.error.code) {
                Ok(code) if code == "insufficient_funds" => Err(GatewayError::InsufficientFunds),
                Ok(code) => Err(GatewayError::Declined(code)),
                Err(_) => Err(GatewayError::Declined("payment_refused".into())),
            },
            429 | 500..=599 => Err(GatewayError::Transient(format!(
                "provider answered {status}"
            ))),
            other => Err(GatewayError::Declined(format!(
                "provider refused the request ({other})"
            ))),
        }
    }

    async fn find(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayError> {
        #[derive(serde::Deserialize)]
        struct Found {
            data: Vec<Charge>,
        }
        let unavailable = |e: reqwest::Error| {
            if e.is_timeout() {
                GatewayError::Timeout
            } else {
                GatewayError::Transient(e.to_string())
            }
        };
        let response = self
            .client
            .get(format!("{}/v1/charges", self.base_url))
            .bearer_auth(&self.secret_key)
            .query(&[("idempotency_key", idempotency_key)])
            .send()
            .await
            .map_err(unavailable)?;
        match response.status().as_u16() {
            200 => {
                let found: Found = response.json().await.map_err(unavailable)?;
                Ok(found.data.into_iter().next())
            }
            404 => Ok(None),
            status => Err(GatewayError::Transient(format!(
                "provider answered {status} to a charge lookup"
            ))),
        }
    }

    fn name(&self) -> &'static str {
        "http"
    }
}
