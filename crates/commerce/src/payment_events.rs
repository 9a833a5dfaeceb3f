//! Events payment providers send about charges and refunds (see
//! `bazaar_payments::webhook`): verified by signature, recorded once per
//! event id in the tenant's inbox, and applied through the same state
//! machine as checkout, reconciliation and the refund sweep, so order does
//! not matter: a `charge.failed` after the order was paid, or a
//! redelivered `charge.succeeded`, changes nothing. A charge reported for
//! an order already cancelled is given back in full.

use bazaar_domain::OrderStatus;
use bazaar_payments::webhook::{self, Event, SignatureError};
use bazaar_store::StoreError;
use bazaar_store::control::tenants;
use bazaar_store::tenant::refunds::{self as refund_store, Answer};
use bazaar_store::tenant::{orders, payment_events};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::{Outcome, Services, catalog_cache, refunds, refusals};

refusals! {
    /// Why a provider's event was refused (the provider retries it).
    pub enum EventRefusal {
        NotConfigured => NotFound, "payment_events_not_configured",
            "this deployment takes no payment provider events (`payment_webhook_secret` is not set)";
        UnknownProvider { provider: String } => NotFound, "unknown_payment_provider",
            "no payment provider named `{provider}` is configured";
        SignatureRequired => Unauthenticated, "signature_required",
            "send the provider's signature header (`Webhook-Signature`, or `Stripe-Signature` from a Stripe-shaped provider: `t=<unix seconds>,v1=<hex HMAC-SHA256>`)";
        SignatureInvalid => Unauthenticated, "invalid_signature",
            "the `Webhook-Signature` does not match the body for this deployment's secret";
        SignatureStale => Unauthenticated, "stale_signature",
            "the event was signed more than 5 minutes away from now; replayed deliveries are refused";
        InvalidEvent { reason: String } => Invalid, "invalid_event", "the event cannot be read: {reason}";
    }
}

/// What receiving an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Applied now; what it did.
    Applied(String),
    /// Received before: acknowledged, not applied again.
    Duplicate,
}

/// Verify, record and apply one event from `provider`.
pub async fn receive(
    services: &Services,
    provider: &str,
    body: &[u8],
    signature: Option<&str>,
) -> Outcome<Received, EventRefusal> {
    let secret = services
        .settings
        .payment_webhook_secret
        .as_deref()
        .ok_or(EventRefusal::NotConfigured)?;
    if !services.gateways.has(provider) {
        return Err(EventRefusal::UnknownProvider {
            provider: provider.to_owned(),
        }
        .into());
    }
    let signature = signature.ok_or(EventRefusal::SignatureRequired)?;
    webhook::verify(secret, signature, body, chrono::Utc::now().timestamp()).map_err(
        |e| match e {
            SignatureError::Stale => EventRefusal::SignatureStale,
            SignatureError::Malformed | SignatureError::Mismatch => EventRefusal::SignatureInvalid,
        },
    )?;
    let payload: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| EventRefusal::InvalidEvent {
            reason: e.to_string(),
        })?;
    // Each provider's events in Bazaar's terms (a Stripe-shaped provider
    // sends `payment_intent.*`); a type Bazaar does not act on is
    // acknowledged, so the provider stops sending it.
    let Some(event) = services
        .gateways
        .named(provider)
        .read_event(body)
        .map_err(|reason| EventRefusal::InvalidEvent { reason })?
    else {
        return Ok(Received::Applied(
            "ignored: not a type Bazaar acts on".into(),
        ));
    };
    let Some(schema_name) = event.data.metadata.tenant.clone() else {
        return Ok(Received::Applied(
            "ignored: no tenant in the event's metadata".into(),
        ));
    };
    let Some(tenant) = tenants::find_by_schema(&services.db, &schema_name).await? else {
        return Ok(Received::Applied("ignored: no such tenant".into()));
    };
    let schema = tenant.schema()?;
    let provider = provider.to_owned();
    let applied = services
        .db
        .tenant_tx(&schema, move |conn| {
            async move {
                if !payment_events::record(conn, &provider, &event.id, &event.kind, &payload)
                    .await?
                {
                    return Ok(None);
                }
                let (outcome, after) = apply(conn, &event).await?;
                payment_events::set_outcome(conn, &provider, &event.id, &outcome).await?;
                Ok(Some((outcome, after)))
            }
            .boxed()
        })
        .await?;
    let Some((outcome, after)) = applied else {
        return Ok(Received::Duplicate);
    };
    match after {
        After::Nothing => {}
        After::StockChanged => catalog_cache::bump(services, tenant.id).await,
        After::GiveBack { order, charge } => {
            refunds::refund_late_charge(services, &schema, order, charge, 0).await?;
        }
    }
    tracing::info!(tenant.slug = %tenant.slug, outcome = %outcome, "payment provider event applied");
    Ok(Received::Applied(outcome))
}

/// What to do once the event's transaction committed.
enum After {
    Nothing,
    StockChanged,
    /// A charge on an order that was cancelled: give it back.
    GiveBack {
        order: Uuid,
        charge: String,
    },
}

async fn apply(
    conn: &mut bazaar_store::TenantConn,
    event: &Event,
) -> Result<(String, After), StoreError> {
    let data = &event.data;
    let Ok(key) = Uuid::parse_str(&data.idempotency_key) else {
        return Ok(("ignored: not one of Bazaar's keys".into(), After::Nothing));
    };
    let ignored = |why: &str| Ok((format!("ignored: {why}"), After::Nothing));
    match event.kind.as_str() {
        "charge.succeeded" | "charge.failed" => {
            let status = match orders::get(conn, key, None).await {
                Ok(row) => row.status,
                Err(StoreError::NotFound) => return ignored("no such order"),
                Err(e) => return Err(e),
            };
            if event.kind == "charge.succeeded" {
                if orders::settle_paid(conn, key, &data.id, 0).await? {
                    return Ok(("paid".into(), After::StockChanged));
                }
                if matches!(status, OrderStatus::Cancelled | OrderStatus::PaymentFailed) {
                    let after = After::GiveBack {
                        order: key,
                        charge: data.id.clone(),
                    };
                    return Ok(("charged after cancellation: giving it back".into(), after));
                }
                return ignored(&format!("the order is already {status}"));
            }
            let code = data.failure_code.as_deref().unwrap_or("payment_declined");
            if orders::settle_failed(conn, key, code, 0).await? {
                return Ok(("payment_failed".into(), After::StockChanged));
            }
            ignored(&format!("the order is already {status}"))
        }
        "refund.succeeded" | "refund.failed" => {
            let answer = match (event.kind.as_str(), data.failure_code.as_deref()) {
                ("refund.succeeded", _) => Answer::Made(&data.id),
                (_, code) => Answer::Refused(code.unwrap_or("refund_refused")),
            };
            match refund_store::settle(conn, key, answer).await {
                Ok(Some(row)) => Ok((
                    format!("refund {}", row.status),
                    if row.restock {
                        After::StockChanged
                    } else {
                        After::Nothing
                    },
                )),
                Ok(None) => ignored("the refund is settled already"),
                Err(StoreError::NotFound) => ignored("no such refund"),
                Err(e) => Err(e),
            }
        }
        other => ignored(&format!("type `{other}` is not one Bazaar acts on")),
    }
}
