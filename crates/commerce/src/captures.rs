//! Taking an authorised order's money as its parts ship, and releasing
//! what is not taken.
//!
//! A capture is recorded pending in the transaction that ships its part
//! (see `bazaar_store::tenant::captures`); this module asks the provider
//! for it, with the capture's id as the idempotency key, and settles it
//! with a final answer. No answer (a timeout, the provider down) leaves it
//! pending: the sweep asks again after [`RETRY_AFTER`], and the key makes
//! a second capture impossible. Voids (an order cancelled before anything
//! shipped) work the same way.

use bazaar_domain::CaptureStatus;
use bazaar_payments::{CaptureRequest, GatewayError, VoidRequest, retrying};
use bazaar_store::tenant::captures::{self as store, CaptureRow, ToVoid};
use bazaar_store::tenant::money::Answer;
use bazaar_store::{StoreError, TenantSchema};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::{Services, prices::in_minor_units};

/// How long a pending capture or void rests before the sweep asks again
/// (its request may still be in flight).
pub const RETRY_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Ask the provider for a pending capture and settle it with a final
/// answer. Returns the capture when this call settled it; `None` when it
/// was settled before or its outcome is still unknown (left pending).
pub async fn capture(
    services: &Services,
    schema: &TenantSchema,
    id: Uuid,
) -> Result<Option<CaptureRow>, StoreError> {
    let to = services
        .db
        .tenant_tx(schema, move |conn| store::to_capture(conn, id).boxed())
        .await?;
    if to.capture.status != CaptureStatus::Pending {
        return Ok(None);
    }
    let row = &to.capture;
    let request = CaptureRequest {
        idempotency_key: id.to_string(),
        charge_id: to.charge_id.clone(),
        amount: in_minor_units(row.amount, row.currency),
        currency: row.currency.code().to_owned(),
        final_capture: row.final_capture,
        tenant: schema.as_str().to_owned(),
    };
    let gateway = services.gateways.named(&to.gateway);
    let outcome = retrying(gateway.name(), &services.settings.payment_retry, || {
        gateway.capture(&request)
    })
    .await;
    services.gateways.observe(gateway.name(), &outcome.result);
    let answer = match outcome.result {
        Ok(made) => Ok(made.id),
        Err(err) => match err.refusal() {
            Some(code) => Err(code),
            None => {
                tracing::warn!(capture.id = %id, order.id = %row.order_id, error = %err, "capture outcome unknown; it is asked again later with the same key");
                services
                    .db
                    .tenant_tx(schema, move |conn| store::note_attempt(conn, id).boxed())
                    .await?;
                return Ok(None);
            }
        },
    };
    let settled = services
        .db
        .tenant_tx(schema, move |conn| {
            async move { store::settle(conn, id, Answer::from(&answer)).await }.boxed()
        })
        .await?;
    match &settled {
        Some(row) if row.status == CaptureStatus::Succeeded => {
            tracing::info!(capture.id = %id, order.id = %row.order_id, amount = %row.amount, "captured");
        }
        Some(row) => {
            tracing::error!(capture.id = %id, order.id = %row.order_id, code = ?row.failure_code, "the provider refused a capture: the part shipped but its money was not taken");
        }
        None => {}
    }
    Ok(settled)
}

/// Ask the provider to release an authorisation's hold, and record it
/// when it confirms. Returns whether it did.
pub async fn void(
    services: &Services,
    schema: &TenantSchema,
    to: ToVoid,
) -> Result<bool, StoreError> {
    let order = to.order_id;
    let request = VoidRequest {
        // One void per order: the hold is released once.
        idempotency_key: format!("void-{order}"),
        charge_id: to.charge_id,
        tenant: schema.as_str().to_owned(),
    };
    let gateway = services.gateways.named(&to.gateway);
    let outcome = retrying(gateway.name(), &services.settings.payment_retry, || {
        gateway.void(&request)
    })
    .await;
    services.gateways.observe(gateway.name(), &outcome.result);
    match outcome.result {
        // A refusal means there is no open hold to release (already voided,
        // captured in full, or expired): nothing is held either way.
        Ok(()) | Err(GatewayError::Declined(_)) => {
            services
                .db
                .tenant_tx(schema, move |conn| store::voided(conn, order).boxed())
                .await?;
            tracing::info!(order.id = %order, "authorisation released");
            Ok(true)
        }
        Err(err) => {
            tracing::warn!(order.id = %order, error = %err, "void outcome unknown; it is asked again later");
            services
                .db
                .tenant_tx(schema, move |conn| {
                    store::note_void_attempt(conn, order).boxed()
                })
                .await?;
            Ok(false)
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Pending captures asked again that are now settled.
    pub captures: usize,
    /// Holds released.
    pub voids: usize,
}

/// Ask again for every capture and void still pending after
/// [`RETRY_AFTER`]. Run by housekeeping on every node; safe to repeat and
/// to run on several nodes at once (rows are locked when settled, and the
/// provider's idempotency keys make each capture once).
pub async fn sweep(services: &Services, schema: &TenantSchema) -> Result<Swept, StoreError> {
    let before = chrono::Utc::now() - RETRY_AFTER;
    let (due, voids) = services
        .db
        .tenant_read(schema, move |conn| {
            async move {
                Ok((
                    store::due(conn, before).await?,
                    store::voids_due(conn, before).await?,
                ))
            }
            .boxed()
        })
        .await?;
    let mut swept = Swept::default();
    for id in due {
        if capture(services, schema, id).await?.is_some() {
            swept.captures += 1;
        }
    }
    for to in voids {
        if void(services, schema, to).await? {
            swept.voids += 1;
        }
    }
    Ok(swept)
}
