//! A provider reached over HTTP, in the common shape of card processors:
//! `POST {base}/v1/charges` with an `Idempotency-Key` header and
//! `{"amount": "12.50", "currency": "USD", "source": "<token>"}`; 200 with
//! `{"id", "amount", "currency"}` on success, 402 with
//! `{"error": {"code": "card_declined" | "insufficient_funds", ...}}` for a
//! refusal, 429 and 5xx for failures that may pass. `GET
//! {base}/v1/charges?idempotency_key=<key>` lists the charges made under a
//! key (`{"data": [{"id", "amount", "currency"}]}`), to settle an order
//! whose charge was never answered. `POST {base}/v1/refunds` with an
//! `Idempotency-Key` and `{"charge": "<id>", "amount": "5.00", "currency":
//! "USD"}` gives money back: 200 with `{"id", "amount", "currency"}`, 402
//! or 400 with an error code when the provider refuses it (more than is
//! left, a charge already refunded).
//!
//! A charge sent with `"capture": false` is only authorised. `POST
//! {base}/v1/charges/{id}/capture` with an `Idempotency-Key` and
//! `{"amount", "currency", "final_capture"}` takes part of it (200 with
//! `{"id", "amount", "currency"}`; 402 or 400 with a code when refused:
//! more than is left, the authorisation closed or expired), and `POST
//! {base}/v1/charges/{id}/void` releases the rest (200, also when nothing
//! was left).

use std::time::Duration;

use crate::{
    CaptureRequest, Captured, Charge, ChargeRequest, Gateway, GatewayError, RefundMade,
    RefundRequest, VoidRequest,
};

pub struct HttpGateway {
    name: &'static str,
    client: reqwest::Client,
    base_url: String,
    secret_key: String,
}

impl HttpGateway {
    /// `timeout` bounds each attempt; a provider slower than that is a
    /// `Timeout` (and the retry, with the same key, finds out what happened).
    pub fn new(base_url: &str, secret_key: &str, timeout: Duration) -> Result<Self, GatewayError> {
        Self::named("http", base_url, secret_key, timeout)
    }

    /// The same, under another name (orders record the provider they were
    /// charged with by name: a fallback needs its own).
    pub fn named(
        name: &'static str,
        base_url: &str,
        secret_key: &str,
        timeout: Duration,
    ) -> Result<Self, GatewayError> {
        let client = crate::http_client(timeout)?;
        Ok(Self {
            name,
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }
}

impl HttpGateway {
    /// `POST {base}/v1/{resource}` under an idempotency key: the status
    /// and the body, or why no answer came.
    async fn post(
        &self,
        resource: &str,
        idempotency_key: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, Vec<u8>), GatewayError> {
        let response = self
            .client
            .post(format!("{}/v1/{resource}", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .json(body)
            .send()
            .await
            .map_err(unanswered)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(unanswered)?;
        Ok((status, body.to_vec()))
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

/// A request that got no usable answer: a timeout may have been acted on;
/// a failed connection sent nothing.
fn unanswered(e: reqwest::Error) -> GatewayError {
    if e.is_connect() {
        GatewayError::Unreachable(e.to_string())
    } else if e.is_timeout() {
        GatewayError::Timeout
    } else {
        GatewayError::Transient(e.to_string())
    }
}

/// The provider's refusal code in an error body, if it gave one.
fn refusal_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error.code)
}

#[async_trait::async_trait]
impl Gateway for HttpGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let body = serde_json::json!({
            "amount": request.amount.to_string(),
            "currency": request.currency,
            "source": request.payment_token,
            "capture": request.capture,
            "metadata": { "tenant": request.tenant },
        });
        let (status, body) = self
            .post("charges", &request.idempotency_key, &body)
            .await?;
        match status {
            200 | 201 => serde_json::from_slice::<Charge>(&body)
                .map_err(|e| GatewayError::Transient(format!("unreadable charge: {e}"))),
            402 => match refusal_code(&body) {
                Some(code) if code == "insufficient_funds" => Err(GatewayError::InsufficientFunds),
                Some(code) => Err(GatewayError::Declined(code)),
                None => Err(GatewayError::Declined("payment_refused".into())),
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
        let response = self
            .client
            .get(format!("{}/v1/charges", self.base_url))
            .bearer_auth(&self.secret_key)
            .query(&[("idempotency_key", idempotency_key)])
            .send()
            .await
            .map_err(unanswered)?;
        match response.status().as_u16() {
            200 => {
                let found: Found = response.json().await.map_err(unanswered)?;
                Ok(found.data.into_iter().next())
            }
            404 => Ok(None),
            status => Err(GatewayError::Transient(format!(
                "provider answered {status} to a charge lookup"
            ))),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundMade, GatewayError> {
        let body = serde_json::json!({
            "charge": request.charge_id,
            "amount": request.amount.to_string(),
            "currency": request.currency,
            "metadata": { "tenant": request.tenant },
        });
        let (status, body) = self
            .post("refunds", &request.idempotency_key, &body)
            .await?;
        match status {
            200 | 201 => serde_json::from_slice::<RefundMade>(&body)
                .map_err(|e| GatewayError::Transient(format!("unreadable refund: {e}"))),
            429 | 500..=599 => Err(GatewayError::Transient(format!(
                "provider answered {status} to a refund"
            ))),
            other => Err(GatewayError::Declined(
                refusal_code(&body).unwrap_or_else(|| format!("refund_refused_{other}")),
            )),
        }
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<Captured, GatewayError> {
        let body = serde_json::json!({
            "amount": request.amount.to_string(),
            "currency": request.currency,
            "final_capture": request.final_capture,
            "metadata": { "tenant": request.tenant },
        });
        let resource = format!("charges/{}/capture", request.charge_id);
        let (status, body) = self
            .post(&resource, &request.idempotency_key, &body)
            .await?;
        match status {
            200 | 201 => serde_json::from_slice::<Captured>(&body)
                .map_err(|e| GatewayError::Transient(format!("unreadable capture: {e}"))),
            429 | 500..=599 => Err(GatewayError::Transient(format!(
                "provider answered {status} to a capture"
            ))),
            other => Err(GatewayError::Declined(
                refusal_code(&body).unwrap_or_else(|| format!("capture_refused_{other}")),
            )),
        }
    }

    async fn void(&self, request: &VoidRequest) -> Result<(), GatewayError> {
        let resource = format!("charges/{}/void", request.charge_id);
        let body = serde_json::json!({ "metadata": { "tenant": request.tenant } });
        let (status, body) = self
            .post(&resource, &request.idempotency_key, &body)
            .await?;
        match status {
            200 | 201 | 204 => Ok(()),
            429 | 500..=599 => Err(GatewayError::Transient(format!(
                "provider answered {status} to a void"
            ))),
            other => Err(GatewayError::Declined(
                refusal_code(&body).unwrap_or_else(|| format!("void_refused_{other}")),
            )),
        }
    }

    fn name(&self) -> &'static str {
        self.name
    }
}
