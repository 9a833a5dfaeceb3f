//! What must hold in a shop after its checkout runs: the stock ledger
//! balances, no stock is negative or over-reserved, and every paid order's
//! payment is in the state its capture mode promises (taken in full at
//! checkout, or authorised with nothing captured and nothing in the money
//! ledger until a part ships).

use bazaar_domain::{CaptureMode, PaymentStatus};
use bazaar_store::tenant::inventory::ledger_mismatches;
use bazaar_store::{Db, TenantSchema};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

/// Counts read from one shop after its runs.
pub(super) struct Books {
    mode: CaptureMode,
    /// Stock levels that differ from the sum of their movements.
    mismatches: i64,
    /// Stock levels negative or reserved beyond what is on hand.
    negative: i64,
    /// Orders in status `paid`.
    paid: i64,
    /// Paid orders whose payment is missing or not in the mode's state.
    off_mode: i64,
    /// Rows in the money ledger.
    ledger_rows: i64,
}

#[derive(diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    negative: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    off_mode: i64,
    #[diesel(sql_type = BigInt)]
    ledger_rows: i64,
}

/// The payment state a paid order of `mode` must be in.
fn settled_status(mode: CaptureMode) -> PaymentStatus {
    match mode {
        CaptureMode::Immediate => PaymentStatus::Succeeded,
        CaptureMode::OnShipment => PaymentStatus::Authorized,
    }
}

fn captured_phrase(mode: CaptureMode) -> &'static str {
    match mode {
        CaptureMode::Immediate => "captured = amount",
        CaptureMode::OnShipment => "captured = 0",
    }
}

pub(super) async fn read(
    db: &Db,
    schema: &TenantSchema,
    mode: CaptureMode,
) -> anyhow::Result<Books> {
    let (mismatches, counts) = db
        .tenant_read(schema, move |conn| {
            async move {
                let counts: Counts = diesel::sql_query(
                    "SELECT \
                     (SELECT count(*) FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand) AS negative, \
                     (SELECT count(*) FROM orders WHERE status = 'paid') AS paid, \
                     (SELECT count(*) FROM orders o LEFT JOIN payments p ON p.order_id = o.id \
                       WHERE o.status = 'paid' AND (p.id IS NULL OR p.capture <> $1 OR p.status <> $2 \
                         OR p.captured <> CASE WHEN $1 = 'immediate' THEN p.amount ELSE 0 END)) AS off_mode, \
                     (SELECT count(*) FROM money_ledger) AS ledger_rows",
                )
                .bind::<Text, _>(mode.as_str())
                .bind::<Text, _>(settled_status(mode).as_str())
                .get_result(conn.pg())
                .await?;
                Ok((ledger_mismatches(conn).await?, counts))
            }
            .boxed()
        })
        .await?;
    Ok(Books {
        mode,
        mismatches,
        negative: counts.negative,
        paid: counts.paid,
        off_mode: counts.off_mode,
        ledger_rows: counts.ledger_rows,
    })
}

impl Books {
    /// One sentence for the report.
    pub(super) fn summary(&self) -> String {
        format!(
            "After the {mode} runs: {} stock level(s) differ from the ledger; {} negative or over-reserved; \
             {} of {} paid order(s) not {} with {}; {} money-ledger row(s).",
            self.mismatches,
            self.negative,
            self.off_mode,
            self.paid,
            settled_status(self.mode),
            captured_phrase(self.mode),
            self.ledger_rows,
            mode = self.mode,
        )
    }

    /// What does not hold, given how many checkouts the API answered as paid.
    pub(super) fn violations(&self, api_paid: usize) -> Vec<String> {
        let mode = self.mode;
        let mut out = Vec::new();
        if self.mismatches != 0 {
            out.push(format!(
                "{mode}: {} stock level(s) differ from the ledger",
                self.mismatches
            ));
        }
        if self.negative != 0 {
            out.push(format!(
                "{mode}: {} stock level(s) negative or over-reserved",
                self.negative
            ));
        }
        if self.paid != api_paid as i64 {
            out.push(format!(
                "{mode}: {} paid order(s) in the database, {api_paid} paid checkout(s) answered",
                self.paid
            ));
        }
        if self.off_mode != 0 {
            out.push(format!(
                "{mode}: {} paid order(s) whose payment is not {} with {}",
                self.off_mode,
                settled_status(mode),
                captured_phrase(mode)
            ));
        }
        if mode == CaptureMode::OnShipment && self.ledger_rows != 0 {
            out.push(format!(
                "{mode}: {} money-ledger row(s) though nothing was captured",
                self.ledger_rows
            ));
        }
        out
    }
}
