//! Identifiers are UUIDv7: unique without coordination and ordered by
//! creation time, so keyset pagination on the primary key is also
//! "oldest first" without a second index.

use uuid::Uuid;

/// A fresh, time-ordered identifier.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
