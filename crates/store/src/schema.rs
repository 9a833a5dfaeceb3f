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
            description -> Text,
            regions_served -> Array<Text>,
            payout_reference -> Nullable<Text>,
            status_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        vendor_status_events (id) {
            id -> Uuid,
            vendor_id -> Uuid,
            from_status -> Nullable<Text>,
            to_status -> Text,
            reason -> Nullable<Text>,
            actor -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        categories (id) {
            id -> Uuid,
            parent_id -> Nullable<Uuid>,
            slug -> Text,
            name -> Text,
            path -> Text,
            depth -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        products (id) {
            id -> Uuid,
            vendor_id -> Uuid,
            category_id -> Nullable<Uuid>,
            slug -> Text,
            title -> Text,
            description -> Text,
            attributes -> Jsonb,
            images -> Array<Text>,
            status -> Text,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        variants (id) {
            id -> Uuid,
            product_id -> Uuid,
            vendor_id -> Uuid,
            sku -> Text,
            title -> Text,
            options -> Jsonb,
            price -> Numeric,
            currency -> Bpchar,
            compare_at_price -> Nullable<Numeric>,
            weight_grams -> Nullable<Numeric>,
            tax_category -> Text,
            age_restricted -> Bool,
            position -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            backorder_limit -> Int4,
            low_stock_threshold -> Nullable<Int4>,
        }
    }

    diesel::table! {
        listings (id) {
            id -> Uuid,
            brand_id -> Uuid,
            product_id -> Uuid,
            price_override -> Nullable<Numeric>,
            active -> Bool,
            vendor_id -> Uuid,
            category_path -> Nullable<Text>,
            title -> Text,
            price -> Nullable<Numeric>,
            visible -> Bool,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            in_stock -> Bool,
        }
    }

    diesel::table! {
        warehouses (id) {
            id -> Uuid,
            vendor_id -> Uuid,
            code -> Text,
            name -> Text,
            region -> Text,
            address -> Text,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        stock_levels (variant_id, warehouse_id) {
            variant_id -> Uuid,
            warehouse_id -> Uuid,
            on_hand -> Int4,
            reserved -> Int4,
            updated_at -> Timestamptz,
        }
    }

    diesel::joinable!(listings -> products (product_id));
    diesel::joinable!(variants -> products (product_id));
    diesel::joinable!(products -> vendors (vendor_id));
    diesel::table! {
        carts (id) {
            id -> Uuid,
            token_hash -> Bytea,
            brand_id -> Uuid,
            region -> Text,
            currency -> Bpchar,
            contact_email -> Nullable<Text>,
            status -> Text,
            last_activity_at -> Timestamptz,
            abandoned_notified_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            customer_id -> Nullable<Uuid>,
            saved_name -> Nullable<Text>,
            merged_into -> Nullable<Uuid>,
        }
    }

    diesel::table! {
        cart_lines (id) {
            id -> Uuid,
            cart_id -> Uuid,
            variant_id -> Uuid,
            quantity -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(
        brands,
        vendors,
        vendor_status_events,
        categories,
        products,
        variants,
        listings,
        warehouses,
        stock_levels,
        carts,
        cart_lines
    );
}
