//! diesel table definitions. Control-plane tables are qualified with their
//! schema; tenant tables are not, and resolve through the transaction-local
//! search path that `Db::tenant_tx` sets, so the same statement (and the same
//! cached prepared statement) serves every tenant.

pub mod control {
    diesel::table! {
        control.tenants (id) {
            id -> Uuid,
            slug -> Text,
            name -> Text,
            schema_name -> Text,
            cluster -> Text,
            status -> Text,
            status_reason -> Nullable<Text>,
            regions -> Array<Text>,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        control.api_keys (id) {
            id -> Uuid,
            tenant_id -> Nullable<Uuid>,
            scope -> Text,
            vendor_id -> Nullable<Uuid>,
            brand_id -> Nullable<Uuid>,
            name -> Text,
            display_prefix -> Text,
            secret_hash -> Bytea,
            created_at -> Timestamptz,
            revoked_at -> Nullable<Timestamptz>,
        }
    }

    diesel::joinable!(api_keys -> tenants (tenant_id));
    diesel::allow_tables_to_appear_in_same_query!(tenants, api_keys);
}

pub mod tenant {
    diesel::table! {
        brands (id) {
            id -> Uuid,
            slug -> Text,
            name -> Text,
            default_region -> Nullable<Text>,
            currency -> Bpchar,
            domains -> Array<Text>,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        vendors (id) {
            id -> Uuid,
            slug -> Text,
            name -> Text,
            contact_email -> Text,
            status -> Text,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }
}
