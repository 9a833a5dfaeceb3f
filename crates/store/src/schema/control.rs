// @generated automatically by Diesel CLI.

pub mod control {
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

    diesel::table! {
        control.search_changes (id) {
            id -> Int8,
            schema_name -> Text,
            product_id -> Nullable<Uuid>,
            txid -> Int8,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        control.search_nodes (node_id) {
            node_id -> Text,
            cursor -> Int8,
            docs -> Int8,
            rebuild_done -> Nullable<Int8>,
            rebuild_total -> Nullable<Int8>,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        control.spare_schemas (name) {
            name -> Text,
            template_version -> Text,
            created_at -> Timestamptz,
        }
    }

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

    diesel::joinable!(api_keys -> tenants (tenant_id));

    diesel::allow_tables_to_appear_in_same_query!(
        api_keys,
        search_changes,
        search_nodes,
        spare_schemas,
        tenants,
    );
}
