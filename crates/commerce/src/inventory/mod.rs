//! Inventory: where vendors keep stock and how much. Manual changes are
//! receipts, returns and adjustments (reservations and commits belong to
//! checkout); each is a ledger row, and stock can never go negative. A
//! vendor key works on its own warehouses and variants only; storefronts
//! see availability through browsing's `in_stock`.

pub mod stock;
pub mod sync;
pub mod warehouses;

use bazaar_domain::DomainError;

use crate::acting::ActingRefusal;
use crate::context::AccessRefusal;
use crate::refusals;
use crate::regions::RegionRefusal;

refusals! {
    /// Why a warehouse or a stock change is refused.
    pub enum InventoryRefusal {
        Access(AccessRefusal) => delegate;
        Acting(ActingRefusal) => delegate;
        /// A name breaks a domain rule.
        Invalid(DomainError) => delegate;
        /// The warehouse's region is not one the tenant sells in.
        Region(RegionRefusal) => delegate;
        InvalidCode { code: String } => Unprocessable, "invalid_code",
            "`{code}` is not a warehouse code: use 1-32 letters, digits or `-`";
        /// Warehouse codes are unique per vendor (`warehouses_vendor_id_code_key`).
        CodeTaken => Conflict, "code_taken", "the vendor already has a warehouse with this code";
        InvalidQuantity => Unprocessable, "invalid_quantity",
            "receipts and returns add a positive quantity; an adjustment is any non-zero quantity";
        WarehouseNotFound => Unprocessable, "warehouse_not_found",
            "no warehouse with that `warehouse_id` visible to this key";
        /// The variant of a stock change is not the warehouse vendor's.
        VariantNotFound => Unprocessable, "unknown_variant",
            "no variant with that `variant_id` belongs to the warehouse's vendor";
        /// The variant whose stock is asked for is not visible.
        UnknownVariant => NotFound, "variant_not_found",
            "no variant with that id is visible to this key";
        InsufficientStock => Conflict, "insufficient_stock",
            "the change would take stock below zero or below what checkouts have reserved";
        InvalidSyncId => Unprocessable, "invalid_sync_id", "`sync_id` must be 1-128 characters";
        InvalidRows => Unprocessable, "invalid_rows", "a sync has 1 to 10,000 rows";
        SyncIdReused => Unprocessable, "sync_id_reused",
            "this `sync_id` was already used with different rows; use a new id for a new sync";
        /// Another request is applying this sync (`stock_syncs_pkey`).
        SyncInProgress => Conflict, "sync_in_progress",
            "a sync with this `sync_id` is being applied; retry to get its result";
    }
}
