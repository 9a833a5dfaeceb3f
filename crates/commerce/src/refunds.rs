//! Refunds: a tenant admin gives money back from a paid order, by lines
//! (with or without putting the units back on hand) or by amount; and
//! Bazaar gives back by itself any charge that landed on an order already
//! cancelled.
//!
//! A refund is recorded pending in one transaction (the order's row
//! locked, so refunds of one order are decided one at a time and never
//! exceed the charge), then asked of the provider with the refund's id as
//! its idempotency key, then settled in a second transaction. An answer
//! that never comes leaves it pending; [`sweep`] asks again, and the same
//! key cannot refund twice. The refund's id is derived from the order and
//! the caller's `Idempotency-Key`, so a retried request finds its refund
//! (and a different request under the same key is refused).

use bazaar_domain::{Money, OrderStatus, RefundStatus, Scope};
use bazaar_payments::{RefundRequest, VoidRequest};
use bazaar_store::tenant::refunds::{
    self as store, Answer, LATE_CHARGE, LateCharge, NewRefund, RefundLineRow, RefundRow, Refundable,
};
use bazaar_store::{StoreError, TenantSchema};
use futures_util::FutureExt;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::prices::in_minor_units;
use crate::{Outcome, Services, TenantKey, captures, catalog_cache, refusals, request_keys};

refusals! {
    /// Why a refund was not recorded. Nothing was given back.
    pub enum RefundRefusal {
        Access(AccessRefusal) => delegate;
        Amount(bazaar_domain::DomainError) => delegate;
        IdempotencyKeyRequired => Invalid, "idempotency_key_required",
            "send a unique `Idempotency-Key` header (e.g. a UUID) with every refund";
        IdempotencyKeyReused => Unprocessable, "idempotency_key_reused",
            "this Idempotency-Key was used with a different request; use a new key";
        OrderNotFound => NotFound, "order_not_found", "no order with that id is visible to this key";
        /// The order took no money (not paid, or paid with points alone).
        NotRefundable { status: OrderStatus } => Conflict, "order_not_refundable",
            "an order that is {status} has no charge to give money back from";
        NothingLeft => Conflict, "nothing_left_to_refund",
            "everything this order was charged has been refunded (or is being refunded)";
        UnknownLine { line_id: Uuid } => Unprocessable, "unknown_order_line",
            "the order has no line {line_id}";
        DuplicateLine { line_id: Uuid } => Unprocessable, "duplicate_order_line",
            "line {line_id} is named twice; name each line once with its quantity";
        OverQuantity { line_id: Uuid, asked: i32, left: i32 } => Unprocessable,
            "refund_exceeds_quantity",
            "{left} unit(s) of line {line_id} are left to refund; {asked} asked";
        OverAmount { asked: String, left: String } => Unprocessable, "refund_exceeds_payment",
            "{left} is left to refund of this order; {asked} asked";
        NotPositive => Unprocessable, "invalid_refund_amount",
            "a refund gives back more than zero";
        UnknownVendorOrder { vendor_order_id: Uuid } => Unprocessable, "unknown_vendor_order",
            "the order has no vendor part {vendor_order_id}";
        LineNotInVendorOrder { line_id: Uuid } => Unprocessable, "line_not_in_vendor_order",
            "line {line_id} is not part of the vendor order being refunded";
        /// The order is authorised and this part has not shipped: none of
        /// its money was taken.
        NotCaptured { vendor_order_id: Uuid } => Conflict, "part_not_captured",
            "vendor part {vendor_order_id} has not shipped, so none of its money was taken; cancel the order rather than refund it";
        InvalidReason => Unprocessable, "invalid_reason",
            "a refund needs a `reason` of 1 to 200 characters";
    }
}

/// What a tenant admin asks to give back.
#[derive(Debug, Clone, Default)]
pub struct RefundAsk {
    /// Order lines and units; their share of what was paid is given back
    /// (a line's last units get exactly what is left of it).
    pub lines: Vec<(Uuid, i32)>,
    /// An amount instead (goodwill, a price adjustment), or the amount to
    /// give for the lines. With neither, everything left is refunded.
    pub amount: Option<Decimal>,
    /// Refund one vendor's part: with no lines or amount, everything left
    /// of it (its lines' remaining units and its shipping); with lines,
    /// they must be its own.
    pub vendor_order: Option<Uuid>,
    /// Put the refunded lines' units back on hand when the refund is made.
    pub restock: bool,
    pub reason: String,
}

impl RefundAsk {
    /// What identifies the request, stable across versions: a retried
    /// request has the same one.
    fn fingerprint(&self) -> String {
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|(line, quantity)| format!("{line}x{quantity}"))
            .collect();
        format!(
            "lines={};amount={};restock={};reason={}",
            lines.join(","),
            self.amount
                .map(|a| a.normalize().to_string())
                .unwrap_or_default(),
            self.restock,
            self.reason
        )
    }
}

/// A refund with its lines, as the caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundView {
    pub refund: RefundRow,
    pub lines: Vec<RefundLineRow>,
}

/// Record a refund of `order` and ask the provider for it. The answer is
/// the refund as it stands: `succeeded`, `failed` (the provider refused),
/// or `pending` (no answer yet; it is asked again until it answers). A
/// retry with the same `Idempotency-Key` answers the same refund.
pub async fn refund(
    services: &Services,
    key: &TenantKey,
    order: Uuid,
    ask: RefundAsk,
    idempotency_key: Option<&str>,
) -> Outcome<RefundView, RefundRefusal> {
    key.require(&[Scope::TenantAdmin])?;
    let mut ask = ask;
    ask.reason = ask.reason.trim().to_owned();
    if ask.reason.is_empty() || ask.reason.chars().count() > 200 {
        return Err(RefundRefusal::InvalidReason.into());
    }
    let idempotency_key =
        request_keys::usable(idempotency_key).ok_or(RefundRefusal::IdempotencyKeyRequired)?;
    let id = request_keys::derived_id("refund", key.key_id, order, idempotency_key);
    let hash = hex::encode(Sha256::digest(ask.fingerprint()));
    let requested_by = key.key_id.to_string();
    let opened = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let refundable = match store::refundable(conn, order).await {
                    Ok(r) => r,
                    Err(StoreError::NotFound) => return Ok(Err(RefundRefusal::OrderNotFound)),
                    Err(e) => return Err(e),
                };
                match store::get(conn, id).await {
                    Ok(existing) if existing.request_hash == hash => return Ok(Ok(existing)),
                    Ok(_) => return Ok(Err(RefundRefusal::IdempotencyKeyReused)),
                    Err(StoreError::NotFound) => {}
                    Err(e) => return Err(e),
                }
                let new = match decide(&refundable, &ask) {
                    Ok(Decided {
                        amount,
                        lines,
                        vendor_order,
                    }) => NewRefund {
                        id,
                        order_id: order,
                        amount,
                        currency: refundable.currency,
                        reason: ask.reason.clone(),
                        restock: ask.restock && !lines.is_empty(),
                        requested_by,
                        request_hash: hash,
                        lines,
                        vendor_order,
                    },
                    Err(refusal) => return Ok(Err(refusal)),
                };
                store::open(conn, &new).await.map(Ok)
            }
            .boxed()
        })
        .await??;
    if opened.status == RefundStatus::Pending
        && let Some(settled) = settle_with_provider(services, &key.schema, opened.id).await?
        && settled.restock
        && settled.status == RefundStatus::Succeeded
    {
        // Units back on hand change what the storefronts show.
        catalog_cache::bump(services, key.tenant_id).await;
    }
    Ok(view(services, &key.schema, id).await?)
}

/// The refunds of an order, oldest first.
pub async fn of_order(
    services: &Services,
    key: &TenantKey,
    order: Uuid,
) -> Outcome<Vec<RefundView>, RefundRefusal> {
    key.require(&[Scope::TenantAdmin])?;
    let found = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                // 404 for an order that is not there, not an empty list.
                bazaar_store::tenant::orders::get(conn, order, None).await?;
                let refunds = store::of_order(conn, order).await?;
                let ids: Vec<Uuid> = refunds.iter().map(|r| r.id).collect();
                let lines = store::lines_of(conn, &ids).await?;
                Ok(refunds
                    .into_iter()
                    .map(|refund| RefundView {
                        lines: lines
                            .iter()
                            .filter(|l| l.refund_id == refund.id)
                            .cloned()
                            .collect(),
                        refund,
                    })
                    .collect())
            }
            .boxed()
        })
        .await;
    match found {
        Ok(views) => Ok(views),
        Err(StoreError::NotFound) => Err(RefundRefusal::OrderNotFound.into()),
        Err(e) => Err(e.into()),
    }
}

/// What a refund gives back.
#[derive(Debug, Clone, PartialEq)]
struct Decided {
    amount: Decimal,
    /// Order line, units, their share.
    lines: Vec<(Uuid, i32, Decimal)>,
    /// The vendor part refunded, and its shipping in the amount.
    vendor_order: Option<(Uuid, Decimal)>,
}

/// How much to give back and from which lines, or why not.
fn decide(refundable: &Refundable, ask: &RefundAsk) -> Result<Decided, RefundRefusal> {
    use OrderStatus::*;
    let status = refundable.status;
    let paid = matches!(
        status,
        Paid | Fulfilling | PartiallyShipped | Shipped | Delivered | PartiallyRefunded
    );
    if !paid || refundable.charge_id.is_none() {
        return Err(RefundRefusal::NotRefundable { status });
    }
    if refundable.charged.is_zero() {
        // Authorised and nothing shipped yet: name the part asked for, or
        // the first one, whose money is still only held.
        let uncaptured = refundable
            .parts
            .iter()
            .find(|p| !p.captured && ask.vendor_order.is_none_or(|id| id == p.vendor_order_id));
        return Err(match uncaptured {
            Some(part) => RefundRefusal::NotCaptured {
                vendor_order_id: part.vendor_order_id,
            },
            None => RefundRefusal::NotRefundable { status },
        });
    }
    let currency = refundable.currency;
    let left = refundable.left();
    if left.is_zero() {
        return Err(RefundRefusal::NothingLeft);
    }
    let part = match ask.vendor_order {
        Some(id) => Some(
            refundable
                .parts
                .iter()
                .find(|p| p.vendor_order_id == id)
                .ok_or(RefundRefusal::UnknownVendorOrder {
                    vendor_order_id: id,
                })?,
        ),
        None => None,
    };
    if let Some(part) = part.filter(|p| !p.captured) {
        return Err(RefundRefusal::NotCaptured {
            vendor_order_id: part.vendor_order_id,
        });
    }
    // A whole part: every unit of its lines still to refund.
    let asked: Vec<(Uuid, i32)> = match part {
        Some(part) if ask.lines.is_empty() && ask.amount.is_none() => refundable
            .lines
            .iter()
            .filter(|l| l.vendor_id == part.vendor_id && l.quantity > l.refunded_quantity)
            .map(|l| (l.line_id, l.quantity - l.refunded_quantity))
            .collect(),
        _ => ask.lines.clone(),
    };
    let mut lines = Vec::new();
    for (at, &(line_id, wanted)) in asked.iter().enumerate() {
        if asked[..at].iter().any(|(seen, _)| *seen == line_id) {
            return Err(RefundRefusal::DuplicateLine { line_id });
        }
        let line = refundable
            .lines
            .iter()
            .find(|l| l.line_id == line_id)
            .ok_or(RefundRefusal::UnknownLine { line_id })?;
        if part.is_some_and(|p| p.vendor_id != line.vendor_id) {
            return Err(RefundRefusal::LineNotInVendorOrder { line_id });
        }
        if let Some(uncaptured) = refundable
            .parts
            .iter()
            .find(|p| p.vendor_id == line.vendor_id && !p.captured)
        {
            return Err(RefundRefusal::NotCaptured {
                vendor_order_id: uncaptured.vendor_order_id,
            });
        }
        let units_left = line.quantity - line.refunded_quantity;
        if wanted < 1 || wanted > units_left {
            return Err(RefundRefusal::OverQuantity {
                line_id,
                asked: wanted,
                left: units_left,
            });
        }
        let share = if wanted == units_left {
            line.gross - line.refunded_amount
        } else {
            line.gross * Decimal::from(wanted) / Decimal::from(line.quantity)
        };
        lines.push((line_id, wanted, in_minor_units(share, currency)));
    }
    let whole_part = part.filter(|_| ask.lines.is_empty() && ask.amount.is_none());
    let shipping = whole_part.map_or(Decimal::ZERO, |p| {
        (p.shipping - p.shipping_refunded).max(Decimal::ZERO)
    });
    let amount = match ask.amount {
        Some(amount) => Money::exact(amount, currency)?.amount(),
        None if lines.is_empty() && part.is_none() => left,
        None => lines.iter().map(|(_, _, share)| *share).sum::<Decimal>() + shipping,
    };
    if amount <= Decimal::ZERO {
        return Err(if whole_part.is_some() {
            RefundRefusal::NothingLeft
        } else {
            RefundRefusal::NotPositive
        });
    }
    if amount > left {
        return Err(RefundRefusal::OverAmount {
            asked: in_minor_units(amount, currency).to_string(),
            left: in_minor_units(left, currency).to_string(),
        });
    }
    Ok(Decided {
        amount,
        lines,
        vendor_order: part.map(|p| (p.vendor_order_id, shipping)),
    })
}

async fn view(
    services: &Services,
    schema: &TenantSchema,
    id: Uuid,
) -> Result<RefundView, StoreError> {
    services
        .db
        .tenant_read(schema, move |conn| {
            async move {
                let refund = store::get(conn, id).await?;
                let lines = store::lines_of(conn, &[id]).await?;
                Ok(RefundView { refund, lines })
            }
            .boxed()
        })
        .await
}

/// Ask the provider for a pending refund and settle it with a final
/// answer; an unknown one (timeout, provider down) leaves it pending for
/// the sweep. Returns the refund when this call settled it.
pub(crate) async fn settle_with_provider(
    services: &Services,
    schema: &TenantSchema,
    id: Uuid,
) -> Result<Option<RefundRow>, StoreError> {
    let (refund, charge) = services
        .db
        .tenant_tx(schema, move |conn| {
            async move {
                let refund = store::get(conn, id).await?;
                let charge = store::charge_of(conn, refund.order_id).await?;
                if refund.status == RefundStatus::Pending {
                    store::note_attempt(conn, id).await?;
                }
                Ok((refund, charge))
            }
            .boxed()
        })
        .await?;
    if refund.status != RefundStatus::Pending {
        return Ok(None);
    }
    let Some((charge_id, provider)) = charge else {
        // Recorded against a charge that is not there: a bug, not money.
        tracing::error!(refund.id = %id, "pending refund of an order without a recorded charge");
        return Ok(None);
    };
    let request = RefundRequest {
        idempotency_key: id.to_string(),
        charge_id,
        amount: in_minor_units(refund.amount, refund.currency),
        currency: refund.currency.code().to_owned(),
        tenant: schema.as_str().to_owned(),
    };
    let answer = match services.gateways.named(&provider).refund(&request).await {
        Ok(made) => Ok(made.id),
        Err(err) => match err.refusal() {
            Some(code) => Err(code),
            None => {
                tracing::warn!(refund.id = %id, error = %err, "refund outcome unknown; it is asked again later with the same key");
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
        Some(row) if row.status == RefundStatus::Succeeded => {
            tracing::info!(refund.id = %id, order.id = %row.order_id, amount = %row.amount, "refund made");
        }
        Some(row) => {
            tracing::warn!(refund.id = %id, order.id = %row.order_id, code = ?row.failure_code, "the provider refused a refund");
        }
        None => {}
    }
    Ok(settled)
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Charges found on cancelled orders, now being given back.
    pub late_charges: usize,
    /// Cancelled orders the provider confirmed were never charged.
    pub not_charged: usize,
    /// Pending refunds asked again that are now settled.
    pub settled: usize,
}

/// How long a pending refund rests before the sweep asks again (its
/// request may still be in flight).
const REFUND_RETRY_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Make sure no money is kept that is not owed: ask the provider about
/// every order cancelled while its payment's outcome was unknown (a charge
/// found is given back in full), and ask again for every refund still
/// pending. Run by housekeeping on every node; safe to repeat and to run
/// on several nodes at once (order rows are locked, and provider keys
/// make a refund once).
pub async fn sweep(
    services: &Services,
    schema: &TenantSchema,
    tenant: Uuid,
) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    let unsettled = services
        .db
        .tenant_read(schema, |conn| store::unsettled_cancelled(conn).boxed())
        .await?;
    for (order, provider) in unsettled {
        let gateway = services.gateways.named(&provider);
        let nothing_charged = match gateway.find(&order.to_string()).await {
            Ok(Some(charge)) if charge.action.is_some() => {
                // Still waiting for the shopper, on an order already
                // cancelled: cancel it at the provider, so it can never be
                // charged, and record that nothing was. (Had the shopper
                // finished first, `find` would have found a charge to give
                // back; a refused void leaves it for the next pass.)
                let void = VoidRequest {
                    idempotency_key: format!("{order}:abandon"),
                    charge_id: charge.id,
                    tenant: schema.as_str().to_owned(),
                };
                let voided = gateway.void(&void).await;
                if let Err(err) = &voided {
                    tracing::warn!(order.id = %order, error = %err, "cannot cancel a cancelled order's unfinished payment yet");
                }
                voided.is_ok()
            }
            Ok(Some(charge)) => {
                if refund_late_charge(services, schema, order, charge.id, 0).await? {
                    swept.late_charges += 1;
                }
                false
            }
            // Never charged, or the shopper's action failed.
            Ok(None) => true,
            Err(err) if err.refusal().is_some() => true,
            Err(err) => {
                tracing::warn!(order.id = %order, error = %err, "cannot ask the provider about a cancelled order's payment yet");
                false
            }
        };
        if nothing_charged {
            services
                .db
                .tenant_tx(schema, move |conn| store::not_charged(conn, order).boxed())
                .await?;
            swept.not_charged += 1;
        }
    }
    let before = chrono::Utc::now() - REFUND_RETRY_AFTER;
    let due = services
        .db
        .tenant_read(schema, move |conn| store::due(conn, before).boxed())
        .await?;
    let mut restocked = false;
    for id in due {
        if let Some(settled) = settle_with_provider(services, schema, id).await? {
            swept.settled += 1;
            restocked |= settled.restock && settled.status == RefundStatus::Succeeded;
        }
    }
    if restocked {
        catalog_cache::bump(services, tenant).await;
    }
    Ok(swept)
}

/// A charge that came back for an order no longer waiting for it (its
/// reservation expired first): record it and undo it (give it all back,
/// or release an authorisation's hold). Used by checkout, reconciliation,
/// the sweep and providers' events. Returns whether anything was owed.
pub(crate) async fn refund_late_charge(
    services: &Services,
    schema: &TenantSchema,
    order: Uuid,
    charge_id: String,
    attempts: i32,
) -> Result<bool, StoreError> {
    let owed = services
        .db
        .tenant_tx(schema, move |conn| {
            async move { store::for_late_charge(conn, order, &charge_id, attempts).await }.boxed()
        })
        .await?;
    match owed {
        // Settled paid by another request with this charge: nothing owed.
        None => Ok(false),
        Some(LateCharge::Refund(id)) => {
            tracing::error!(order.id = %order, refund.id = %id, reason = LATE_CHARGE, "payment settled after the order was cancelled; refunding all of it");
            settle_with_provider(services, schema, id).await?;
            Ok(true)
        }
        Some(LateCharge::Void(to)) => {
            tracing::error!(order.id = %order, reason = LATE_CHARGE, "payment authorised after the order was cancelled; releasing the hold");
            captures::void(services, schema, to).await?;
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use bazaar_domain::Currency;
    use bazaar_store::tenant::refunds::{LineLeft, PartLeft};

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn order(lines: Vec<LineLeft>, charged: &str, committed: &str) -> Refundable {
        Refundable {
            status: OrderStatus::Paid,
            currency: Currency::parse("USD").expect("usd"),
            charge_id: Some("ch_1".into()),
            charged: dec(charged),
            committed: dec(committed),
            shipping: dec("5.00"),
            lines,
            parts: vec![PartLeft {
                vendor_order_id: Uuid::from_u128(50),
                vendor_id: Uuid::from_u128(99),
                shipping: dec("5.00"),
                shipping_refunded: dec("0"),
                captured: true,
            }],
        }
    }

    fn line(id: u128, quantity: i32, gross: &str, refunded: (i32, &str)) -> LineLeft {
        LineLeft {
            line_id: Uuid::from_u128(id),
            vendor_id: Uuid::from_u128(99),
            quantity,
            gross: dec(gross),
            refunded_quantity: refunded.0,
            refunded_amount: dec(refunded.1),
        }
    }

    #[test]
    fn line_shares_add_up_to_the_line_exactly() {
        // 3 units for 10.00: 3.33 + 3.33, then the last unit gets 3.34.
        let mut r = order(vec![line(1, 3, "10.00", (0, "0"))], "15.00", "0");
        let ask = |n| RefundAsk {
            lines: vec![(Uuid::from_u128(1), n)],
            ..RefundAsk::default()
        };
        let d = decide(&r, &ask(2)).expect("two units");
        assert_eq!((d.amount, d.lines[0].2), (dec("6.67"), dec("6.67")));
        r.lines[0].refunded_quantity = 2;
        r.lines[0].refunded_amount = dec("6.67");
        r.committed = dec("6.67");
        let last = decide(&r, &ask(1)).expect("the last unit");
        assert_eq!(last.amount, dec("3.33"));
        assert!(matches!(
            decide(&r, &ask(2)),
            Err(RefundRefusal::OverQuantity {
                left: 1,
                asked: 2,
                ..
            })
        ));
    }

    #[test]
    fn everything_left_includes_shipping_and_nothing_more() {
        let r = order(vec![line(1, 1, "10.00", (0, "0"))], "15.00", "4.00");
        let all = decide(&r, &RefundAsk::default()).expect("all");
        assert_eq!(all.amount, dec("11.00"));
        assert!(all.lines.is_empty());
        let too_much = RefundAsk {
            amount: Some(dec("11.01")),
            ..RefundAsk::default()
        };
        assert!(matches!(
            decide(&r, &too_much),
            Err(RefundRefusal::OverAmount { .. })
        ));
        let sub_cent = RefundAsk {
            amount: Some(dec("1.001")),
            ..RefundAsk::default()
        };
        assert!(matches!(
            decide(&r, &sub_cent),
            Err(RefundRefusal::Amount(_))
        ));
        let spent = order(vec![], "15.00", "15.00");
        assert!(matches!(
            decide(&spent, &RefundAsk::default()),
            Err(RefundRefusal::NothingLeft)
        ));
    }

    #[test]
    fn a_vendor_part_gives_back_its_lines_and_its_shipping_once() {
        let mut r = order(
            vec![
                line(1, 2, "20.00", (1, "10.00")),
                line(2, 1, "7.00", (0, "0")),
            ],
            "40.00",
            "10.00",
        );
        r.lines[1].vendor_id = Uuid::from_u128(98);
        let part = Uuid::from_u128(50);
        let whole = RefundAsk {
            vendor_order: Some(part),
            ..RefundAsk::default()
        };
        let d = decide(&r, &whole).expect("the part");
        assert_eq!(d.amount, dec("15.00"), "its last unit and its shipping");
        assert_eq!(d.lines, [(Uuid::from_u128(1), 1, dec("10.00"))]);
        assert_eq!(d.vendor_order, Some((part, dec("5.00"))));
        // Another vendor's line is not part of it.
        let foreign = RefundAsk {
            vendor_order: Some(part),
            lines: vec![(Uuid::from_u128(2), 1)],
            ..RefundAsk::default()
        };
        assert!(matches!(
            decide(&r, &foreign),
            Err(RefundRefusal::LineNotInVendorOrder { .. })
        ));
        // Once given back, nothing is left of the part.
        r.lines[0].refunded_quantity = 2;
        r.parts[0].shipping_refunded = dec("5.00");
        assert!(matches!(
            decide(&r, &whole),
            Err(RefundRefusal::NothingLeft)
        ));
        let unknown = RefundAsk {
            vendor_order: Some(Uuid::nil()),
            ..RefundAsk::default()
        };
        assert!(matches!(
            decide(&r, &unknown),
            Err(RefundRefusal::UnknownVendorOrder { .. })
        ));
    }

    #[test]
    fn only_paid_orders_with_a_charge_are_refunded() {
        let mut r = order(vec![], "15.00", "0");
        r.status = OrderStatus::PendingPayment;
        assert!(matches!(
            decide(&r, &RefundAsk::default()),
            Err(RefundRefusal::NotRefundable { .. })
        ));
        let mut points_only = order(vec![], "0", "0");
        points_only.charge_id = Some("no_charge".into());
        assert!(matches!(
            decide(&points_only, &RefundAsk::default()),
            Err(RefundRefusal::NotRefundable { .. })
        ));
    }
}
