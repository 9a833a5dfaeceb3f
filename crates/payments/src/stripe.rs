//! Stripe, through its PaymentIntents API. A charge is one PaymentIntent
//! created and confirmed in one call (`POST /v1/payment_intents`,
//! `confirm=true`), tagged with the order id in `metadata[order_id]`, and
//! sent under the order id as Stripe's `Idempotency-Key`, so a retry after
//! a lost answer gets the first answer back instead of a second charge.
//! An authorisation (`capture_method=manual`) asks for multicapture,
//! because Bazaar takes it in parts, one per vendor as each ships.
//!
//! Stripe saves the first answer under a key once it starts executing
//! the request, 500s included, and replays it (`Idempotent-Replayed:
//! true`) for 24 hours: retrying a 500 with the same key gives the same
//! 500. Such an order is settled by [`Gateway::find`], which searches the
//! intents by their `metadata[order_id]`. Stripe's search index lags the
//! writes (normally under a minute, longer during incidents), so a search
//! made seconds after a charge may miss it; that is acceptable because
//! only reconciliation searches, and it asks about orders whose payment
//! has been unknown for minutes. A charge still waiting for the shopper
//! is looked up by its id ([`Gateway::retrieve`]), which is consistent
//! at once.
//!
//! Amounts travel as integers of the currency's minor units, currencies
//! in lower case, bodies form-encoded with Stripe's `a[b]` keys, the
//! secret key as a bearer token.

mod wire;

#[cfg(test)]
mod tests;

use std::time::Duration;

use reqwest::{Method, Url};

use crate::{
    CaptureRequest, Captured, Charge, ChargeRequest, Gateway, GatewayError, RefundMade,
    RefundRequest, VoidRequest, webhook,
};
use wire::{ApiError, ErrorBody, PaymentIntent, Refund, SearchResult, from_minor, to_minor};

pub struct StripeGateway {
    name: &'static str,
    client: reqwest::Client,
    base_url: Url,
    secret_key: String,
}

/// An HTTP answer Stripe gave.
struct Answer {
    status: u16,
    body: Vec<u8>,
    /// Stripe's `Idempotent-Replayed: true`: the body is the one saved
    /// when the key was first used, not the object as it is now.
    replayed: bool,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn read<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, GatewayError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| GatewayError::Transient(format!("unreadable stripe {what}: {e}")))
    }

    fn error(&self) -> ApiError {
        serde_json::from_slice::<ErrorBody>(&self.body)
            .map(|b| b.error)
            .unwrap_or_default()
    }
}

impl StripeGateway {
    /// `base_url` is `https://api.stripe.com` in production; `timeout`
    /// bounds each request, and a slower answer is a `Timeout` (the retry,
    /// with the same key, finds out what happened).
    pub fn new(
        name: &'static str,
        base_url: &str,
        secret_key: &str,
        timeout: Duration,
    ) -> Result<Self, GatewayError> {
        let base_url = Url::parse(base_url).map_err(|e| {
            GatewayError::Unreachable(format!("invalid stripe url {base_url}: {e}"))
        })?;
        if base_url.cannot_be_a_base() {
            return Err(GatewayError::Unreachable(format!(
                "invalid stripe url {base_url}"
            )));
        }
        let client = crate::http_client(timeout)?;
        Ok(Self {
            name,
            client,
            base_url,
            secret_key: secret_key.to_owned(),
        })
    }

    /// `{base}/v1/<segments>`, each segment percent-encoded (an id that
    /// came from elsewhere cannot change the path).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("v1").extend(segments);
        }
        url
    }

    async fn send(
        &self,
        method: Method,
        segments: &[&str],
        idempotency_key: Option<&str>,
        params: &[(String, String)],
    ) -> Result<Answer, GatewayError> {
        let mut request = self
            .client
            .request(method.clone(), self.url(segments))
            .bearer_auth(&self.secret_key);
        if method == Method::GET {
            request = request.query(params);
        } else {
            request = request.form(params);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.map_err(unanswered)?;
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v.as_bytes() == b"true");
        let body = response.bytes().await.map_err(unanswered)?.to_vec();
        Ok(Answer {
            status,
            body,
            replayed,
        })
    }

    async fn post(
        &self,
        segments: &[&str],
        idempotency_key: &str,
        params: &[(String, String)],
    ) -> Result<Answer, GatewayError> {
        self.send(Method::POST, segments, Some(idempotency_key), params)
            .await
    }

    /// The intent as Stripe has it now.
    async fn intent(&self, id: &str) -> Result<Option<PaymentIntent>, GatewayError> {
        let answer = self
            .send(Method::GET, &["payment_intents", id], None, &[])
            .await?;
        match answer.status {
            200 => answer.read("payment intent").map(Some),
            404 => Ok(None),
            status => Err(unsettled(status, &answer)),
        }
    }
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

/// A non-2xx answer to a request that asked Stripe to do something.
fn refused(answer: &Answer) -> GatewayError {
    let error = answer.error();
    match answer.status {
        // Card errors: the issuer's final "no".
        402 => error.refusal(),
        // A wrong or revoked secret key: a configuration error that no
        // retry mends.
        401 => {
            tracing::error!("stripe refused the secret key");
            GatewayError::Declined("authentication_failed_with_provider".to_owned())
        }
        // Another request with the same key is still executing
        // (`idempotency_key_in_use`): its result will be saved under the
        // key, so a later retry gets it.
        409 => GatewayError::Transient("stripe is still executing this idempotency key".into()),
        // Rate limited, or the object was locked by another request
        // (`lock_timeout`): nothing was done.
        429 => GatewayError::Transient("stripe is busy (429)".into()),
        500..=599 => GatewayError::Transient(format!("stripe answered {}", answer.status)),
        status => {
            if error.kind.as_deref() == Some("idempotency_error") {
                // Bazaar derives every key from the one operation it
                // names; a key reused with other parameters is a bug here.
                tracing::error!(
                    status,
                    message = error.message.as_deref().unwrap_or_default(),
                    "stripe refused an idempotency key reused with different parameters"
                );
            }
            GatewayError::Declined(
                error
                    .code
                    .or(error.kind)
                    .unwrap_or_else(|| format!("stripe_refused_{status}")),
            )
        }
    }
}

/// A non-2xx answer to a question (a search, a retrieve): whatever it
/// says, it is not an answer about the charge, so the caller asks again
/// later.
fn unsettled(status: u16, answer: &Answer) -> GatewayError {
    if status == 401 {
        tracing::error!("stripe refused the secret key");
    }
    let reason = answer.error().reason().map(str::to_owned);
    GatewayError::Transient(format!(
        "stripe answered {status} ({})",
        reason.as_deref().unwrap_or("no reason given")
    ))
}

/// A charge in Bazaar's terms, from its intent.
fn charge_of(intent: &PaymentIntent) -> Charge {
    let mut charge = Charge::made(
        intent.id.clone(),
        from_minor(intent.amount, &intent.currency),
        intent.currency.to_ascii_uppercase(),
    );
    if intent.status == "requires_action" {
        charge.action = intent.action();
    }
    charge
}

/// What an intent says about its charge, as `find` and `retrieve` answer.
fn settled(intent: &PaymentIntent) -> Result<Option<Charge>, GatewayError> {
    match intent.status.as_str() {
        "succeeded" | "requires_capture" | "requires_action" => Ok(Some(charge_of(intent))),
        // Stripe is still waiting on the card network (or on the bank,
        // for asynchronous methods): ask again later.
        "processing" => Err(GatewayError::Transient(format!(
            "stripe is still processing {}",
            intent.id
        ))),
        // Back to `requires_payment_method` after an attempt: that
        // attempt failed (a decline, a failed challenge). Without one,
        // nothing was ever tried.
        "requires_payment_method" => match &intent.last_payment_error {
            Some(error) => Err(error.refusal()),
            None => Ok(None),
        },
        // `canceled`, `requires_confirmation`: nothing charged or held.
        _ => Ok(None),
    }
}

/// Which of several intents tagged with one order tells its outcome: one
/// that took money before one waiting for the shopper, before one still
/// processing, before one that failed, before one that did nothing. Only
/// a key expired after 24 hours can make a second one.
fn rank(intent: &PaymentIntent) -> u8 {
    match intent.status.as_str() {
        "succeeded" | "requires_capture" => 0,
        "requires_action" => 1,
        "processing" => 2,
        "requires_payment_method" if intent.last_payment_error.is_some() => 3,
        _ => 4,
    }
}

/// The order id (or refund id) and tenant Bazaar put in an object's
/// metadata.
fn tagged(object: &serde_json::Value, key: &str) -> Option<(String, Option<String>)> {
    let metadata = object.get("metadata")?;
    let id = metadata.get(key)?.as_str()?.to_owned();
    let tenant = metadata
        .get("tenant")
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    Some((id, tenant))
}

#[async_trait::async_trait]
impl Gateway for StripeGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let amount = to_minor(request.amount, &request.currency)?;
        let manual = !request.capture;
        let mut params = vec![
            ("amount".to_owned(), amount.to_string()),
            ("currency".to_owned(), request.currency.to_ascii_lowercase()),
            ("payment_method".to_owned(), request.payment_token.clone()),
            ("confirm".to_owned(), "true".to_owned()),
            (
                "capture_method".to_owned(),
                if manual { "manual" } else { "automatic" }.to_owned(),
            ),
            (
                "metadata[order_id]".to_owned(),
                request.idempotency_key.clone(),
            ),
            ("metadata[tenant]".to_owned(), request.tenant.clone()),
        ];
        if manual {
            params.push((
                "payment_method_options[card][request_multicapture]".to_owned(),
                "if_available".to_owned(),
            ));
        }
        if let Some(url) = &request.return_url {
            params.push(("return_url".to_owned(), url.clone()));
        }
        let answer = self
            .post(&["payment_intents"], &request.idempotency_key, &params)
            .await?;
        if !answer.ok() {
            return Err(refused(&answer));
        }
        let mut intent: PaymentIntent = answer.read("payment intent")?;
        // A replay is the intent as it was when the key was first used;
        // one that was waiting (for the shopper, for the network) may have
        // moved on since, and a resumed checkout must see where it is now.
        if answer.replayed
            && matches!(intent.status.as_str(), "requires_action" | "processing")
            && let Some(now) = self.intent(&intent.id).await?
        {
            intent = now;
        }
        match intent.status.as_str() {
            "succeeded" | "requires_capture" | "requires_action" => Ok(charge_of(&intent)),
            // The card network has not answered Stripe yet: the outcome is
            // unknown, exactly as if our own request had timed out, and
            // reconciliation settles it later.
            "processing" => Err(GatewayError::Timeout),
            "requires_payment_method" => Err(intent.last_payment_error.as_ref().map_or_else(
                || GatewayError::Declined("payment_declined".into()),
                ApiError::refusal,
            )),
            other => Err(GatewayError::Declined(format!("payment_intent_{other}"))),
        }
    }

    async fn find(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayError> {
        let query = format!("metadata['order_id']:{}", wire::quoted(idempotency_key));
        let params = [
            ("query".to_owned(), query),
            ("limit".to_owned(), "100".to_owned()),
        ];
        let answer = self
            .send(Method::GET, &["payment_intents", "search"], None, &params)
            .await?;
        if !answer.ok() {
            return Err(unsettled(answer.status, &answer));
        }
        let found: SearchResult = answer.read("search result")?;
        found
            .data
            .iter()
            .filter(|i| i.metadata.get("order_id").map(String::as_str) == Some(idempotency_key))
            .min_by_key(|i| rank(i))
            .map_or(Ok(None), settled)
    }

    async fn retrieve(
        &self,
        charge_id: &str,
        _idempotency_key: &str,
    ) -> Result<Option<Charge>, GatewayError> {
        // By id, Stripe answers from the intent itself, without the
        // search index's lag; the key adds nothing to that.
        match self.intent(charge_id).await? {
            Some(intent) => settled(&intent),
            None => Ok(None),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundMade, GatewayError> {
        let amount = to_minor(request.amount, &request.currency)?;
        let params = [
            ("payment_intent".to_owned(), request.charge_id.clone()),
            ("amount".to_owned(), amount.to_string()),
            (
                "metadata[refund_id]".to_owned(),
                request.idempotency_key.clone(),
            ),
            ("metadata[tenant]".to_owned(), request.tenant.clone()),
        ];
        let answer = self
            .post(&["refunds"], &request.idempotency_key, &params)
            .await?;
        if !answer.ok() {
            return Err(refused(&answer));
        }
        let refund: Refund = answer.read("refund")?;
        match refund.status.as_deref() {
            // `pending`: accepted, the money on its way; a later failure
            // arrives as a `refund.failed` event.
            Some("succeeded" | "pending" | "requires_action") | None => Ok(RefundMade {
                id: refund.id,
                amount: from_minor(refund.amount, &refund.currency),
                currency: refund.currency.to_ascii_uppercase(),
            }),
            Some(_) => Err(GatewayError::Declined(
                refund
                    .failure_reason
                    .unwrap_or_else(|| "refund_failed".to_owned()),
            )),
        }
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<Captured, GatewayError> {
        let amount = to_minor(request.amount, &request.currency)?;
        let params = [
            ("amount_to_capture".to_owned(), amount.to_string()),
            (
                "final_capture".to_owned(),
                request.final_capture.to_string(),
            ),
            ("metadata[tenant]".to_owned(), request.tenant.clone()),
        ];
        let answer = self
            .post(
                &["payment_intents", &request.charge_id, "capture"],
                &request.idempotency_key,
                &params,
            )
            .await?;
        if !answer.ok() {
            return Err(refused(&answer));
        }
        let intent: PaymentIntent = answer.read("payment intent")?;
        // Stripe keeps one charge per intent and adds each capture to it:
        // the running total after this capture names it uniquely.
        let charge = intent.latest_charge.as_deref().unwrap_or(&intent.id);
        Ok(Captured {
            id: format!("{charge}:{}", intent.amount_received),
            amount: from_minor(amount, &intent.currency),
            currency: intent.currency.to_ascii_uppercase(),
        })
    }

    async fn void(&self, request: &VoidRequest) -> Result<(), GatewayError> {
        let answer = self
            .post(
                &["payment_intents", &request.charge_id, "cancel"],
                &request.idempotency_key,
                &[],
            )
            .await?;
        if answer.ok() {
            return Ok(());
        }
        if answer.status != 400 {
            return Err(refused(&answer));
        }
        // Stripe refuses to cancel an intent that is already canceled or
        // fully captured: both are "nothing left to release", which the
        // trait calls success. Any other refusal stands, so look before
        // calling it harmless.
        match self.intent(&request.charge_id).await? {
            Some(intent) if matches!(intent.status.as_str(), "canceled" | "succeeded") => Ok(()),
            Some(intent) if intent.status == "processing" => Err(GatewayError::Transient(format!(
                "stripe is still processing {}",
                intent.id
            ))),
            _ => Err(refused(&answer)),
        }
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn signature_header(&self) -> &'static str {
        "stripe-signature"
    }

    fn read_event(&self, body: &[u8]) -> Result<Option<webhook::Event>, String> {
        let event: wire::Event = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let object = &event.data.object;
        let (kind, tag_key) = match event.kind.as_str() {
            // Captured at once, or (manual capture) authorised: either way
            // the order's payment is made.
            "payment_intent.succeeded" | "payment_intent.amount_capturable_updated" => {
                ("charge.succeeded", "order_id")
            }
            "payment_intent.payment_failed" => ("charge.failed", "order_id"),
            "refund.created" | "refund.updated" | "refund.failed" => {
                match object.get("status").and_then(|s| s.as_str()) {
                    Some("succeeded") => ("refund.succeeded", "refund_id"),
                    Some("failed" | "canceled") => ("refund.failed", "refund_id"),
                    // Pending: the outcome is a later event.
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        // An object Bazaar did not make (a payment taken in Stripe's
        // dashboard) has no key of ours: nothing here to act on.
        let Some((idempotency_key, tenant)) = tagged(object, tag_key) else {
            return Ok(None);
        };
        let field = |name: &str| object.get(name).ok_or(format!("the event has no `{name}`"));
        let id = field("id")?.as_str().ok_or("`id` is not a string")?;
        let currency = field("currency")?
            .as_str()
            .ok_or("`currency` is not a string")?;
        let minor = field("amount")?
            .as_i64()
            .ok_or("`amount` is not an integer")?;
        let failure_code = match kind {
            "charge.failed" => object
                .get("last_payment_error")
                .and_then(|e| serde_json::from_value::<ApiError>(e.clone()).ok())
                .and_then(|e| e.reason().map(str::to_owned))
                .or_else(|| Some("payment_declined".to_owned())),
            "refund.failed" => object
                .get("failure_reason")
                .and_then(|r| r.as_str())
                .map(str::to_owned)
                .or_else(|| Some("refund_failed".to_owned())),
            _ => None,
        };
        Ok(Some(webhook::Event {
            id: event.id,
            kind: kind.to_owned(),
            data: webhook::EventData {
                id: id.to_owned(),
                idempotency_key,
                amount: from_minor(minor, currency),
                currency: currency.to_ascii_uppercase(),
                failure_code,
                metadata: webhook::Metadata { tenant },
            },
        }))
    }
}
