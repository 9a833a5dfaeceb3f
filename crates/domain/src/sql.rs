//! How the domain's statuses and currencies are stored: as their names in TEXT columns,
//! parsed once when a row is read (an unknown name is a read error, not a
//! string that travels on). Only with the `diesel` feature (the store's).

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::currency::Currency;
use crate::fulfilment::{CaptureMode, PaymentStatus, RefundStatus, VendorOrderStatus};
use crate::order::OrderStatus;
use crate::subscription::{IntervalUnit, SubscriptionStatus};

macro_rules! stored_as_text {
    ($($status:ty),*) => {
        $(
            impl FromSql<Text, Pg> for $status {
                fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                    let raw = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                    // CHAR(n) columns arrive padded with blanks.
                    Ok(<$status>::parse(raw.trim_end())?)
                }
            }

            impl ToSql<Text, Pg> for $status {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                    <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
                }
            }
        )*
    };
}

stored_as_text!(
    OrderStatus,
    VendorOrderStatus,
    PaymentStatus,
    RefundStatus,
    CaptureMode,
    SubscriptionStatus,
    IntervalUnit,
    Currency
);
