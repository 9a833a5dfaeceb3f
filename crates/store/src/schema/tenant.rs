// @generated automatically by Diesel CLI.

diesel::table! {
    age_verifications (id) {
        id -> Uuid,
        customer_id -> Uuid,
        date_of_birth -> Date,
        method -> Text,
        reference -> Nullable<Text>,
        verified_at -> Timestamptz,
        verified_by -> Text,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    backorders (id) {
        id -> Uuid,
        order_id -> Uuid,
        variant_id -> Uuid,
        quantity -> Int4,
        status -> Text,
        created_at -> Timestamptz,
        filled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    brands (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        default_region -> Nullable<Text>,
        #[max_length = 3]
        currency -> Bpchar,
        domains -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    captures (id) {
        id -> Uuid,
        order_id -> Uuid,
        vendor_order_id -> Uuid,
        amount -> Numeric,
        discount -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        final_capture -> Bool,
        status -> Text,
        provider_capture_id -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        attempts -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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

diesel::table! {
    carts (id) {
        id -> Uuid,
        token_hash -> Bytea,
        brand_id -> Uuid,
        region -> Text,
        #[max_length = 3]
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
        shipping_address -> Nullable<Jsonb>,
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
    commission_rates (id) {
        id -> Int8,
        vendor_id -> Nullable<Uuid>,
        rate -> Numeric,
        updated_at -> Timestamptz,
        category_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    customer_addresses (id) {
        id -> Uuid,
        customer_id -> Uuid,
        name -> Text,
        line1 -> Text,
        line2 -> Nullable<Text>,
        city -> Text,
        postal_code -> Text,
        region -> Text,
        phone -> Nullable<Text>,
        default_shipping -> Bool,
        default_billing -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    customer_sessions (token_hash) {
        token_hash -> Bytea,
        customer_id -> Uuid,
        brand_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    customer_settings (id) {
        id -> Bool,
        account_scope -> Text,
        loyalty_points_per_unit -> Numeric,
        loyalty_point_value -> Numeric,
        loyalty_expiry_days -> Nullable<Int4>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    customer_tokens (token_hash) {
        token_hash -> Bytea,
        customer_id -> Uuid,
        purpose -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    customers (id) {
        id -> Uuid,
        realm -> Uuid,
        brand_id -> Uuid,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        name -> Nullable<Text>,
        phone -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        email_verified_at -> Nullable<Timestamptz>,
        status -> Text,
        loyalty_balance -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Text,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        order_id -> Nullable<Uuid>,
        locked_at -> Timestamptz,
    }
}

diesel::table! {
    inventory_movements (id) {
        id -> Uuid,
        variant_id -> Uuid,
        warehouse_id -> Uuid,
        kind -> Text,
        on_hand_delta -> Int4,
        reserved_delta -> Int4,
        reference -> Nullable<Text>,
        actor -> Text,
        created_at -> Timestamptz,
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
    loyalty_entries (id) {
        id -> Int8,
        customer_id -> Uuid,
        kind -> Text,
        points -> Int8,
        order_id -> Nullable<Uuid>,
        lot_expires_at -> Nullable<Timestamptz>,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    loyalty_lots (entry_id) {
        entry_id -> Int8,
        customer_id -> Uuid,
        remaining -> Int8,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    money_ledger (id) {
        id -> Int8,
        vendor_id -> Nullable<Uuid>,
        order_id -> Nullable<Uuid>,
        kind -> Text,
        amount -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        reference -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    order_events (id) {
        id -> Int8,
        order_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    order_lines (id) {
        id -> Uuid,
        order_id -> Uuid,
        variant_id -> Uuid,
        vendor_id -> Uuid,
        sku -> Text,
        title -> Text,
        tax_category -> Text,
        quantity -> Int4,
        unit_price -> Numeric,
        net -> Numeric,
        tax -> Numeric,
        excise -> Numeric,
        gross -> Numeric,
        backordered -> Int4,
    }
}

diesel::table! {
    order_shipping (order_id, vendor_id) {
        order_id -> Uuid,
        vendor_id -> Uuid,
        net -> Numeric,
        tax -> Numeric,
        gross -> Numeric,
    }
}

diesel::table! {
    orders (id) {
        id -> Uuid,
        cart_id -> Uuid,
        brand_id -> Uuid,
        region -> Text,
        region_version -> Text,
        #[max_length = 3]
        currency -> Bpchar,
        contact_email -> Nullable<Text>,
        status -> Text,
        subtotal -> Numeric,
        tax_total -> Numeric,
        excise_total -> Numeric,
        shipping_total -> Numeric,
        total -> Numeric,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        shipping_tax -> Numeric,
        hold_until -> Timestamptz,
        customer_id -> Nullable<Uuid>,
        loyalty_points -> Int4,
        discount_total -> Numeric,
        shipping_address -> Nullable<Jsonb>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        topic -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    payment_events (provider, event_id) {
        provider -> Text,
        event_id -> Text,
        kind -> Text,
        payload -> Jsonb,
        outcome -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    payment_routes (region) {
        region -> Text,
        providers -> Array<Text>,
        capture -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    payments (id) {
        id -> Uuid,
        order_id -> Uuid,
        gateway -> Text,
        status -> Text,
        amount -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        charge_id -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        attempts -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        capture -> Text,
        captured -> Numeric,
        void_pending -> Bool,
        next_action -> Nullable<Jsonb>,
    }
}

diesel::table! {
    payouts (id) {
        id -> Uuid,
        vendor_id -> Uuid,
        amount -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        reference -> Nullable<Text>,
        requested_by -> Text,
        request_hash -> Text,
        created_at -> Timestamptz,
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
    refund_lines (refund_id, order_line_id) {
        refund_id -> Uuid,
        order_line_id -> Uuid,
        quantity -> Int4,
        amount -> Numeric,
    }
}

diesel::table! {
    refunds (id) {
        id -> Uuid,
        order_id -> Uuid,
        amount -> Numeric,
        #[max_length = 3]
        currency -> Bpchar,
        reason -> Text,
        restock -> Bool,
        status -> Text,
        provider_refund_id -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        attempts -> Int4,
        requested_by -> Text,
        request_hash -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        vendor_order_id -> Nullable<Uuid>,
        shipping -> Numeric,
    }
}

diesel::table! {
    reservations (id) {
        id -> Uuid,
        order_id -> Uuid,
        variant_id -> Uuid,
        warehouse_id -> Uuid,
        quantity -> Int4,
        status -> Text,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    shipping_rates (vendor_id, region, currency) {
        vendor_id -> Uuid,
        region -> Text,
        #[max_length = 3]
        currency -> Bpchar,
        flat -> Numeric,
        per_item -> Numeric,
        free_over -> Nullable<Numeric>,
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

diesel::table! {
    stock_syncs (vendor_id, sync_id) {
        vendor_id -> Uuid,
        sync_id -> Text,
        request_hash -> Text,
        result -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    subscription_lines (subscription_id, variant_id) {
        subscription_id -> Uuid,
        variant_id -> Uuid,
        quantity -> Int4,
    }
}

diesel::table! {
    subscription_plans (id) {
        id -> Uuid,
        name -> Text,
        interval_unit -> Text,
        interval_count -> Int4,
        active -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    subscription_renewals (id) {
        id -> Uuid,
        subscription_id -> Uuid,
        period -> Int4,
        attempt -> Int4,
        status -> Text,
        cart_id -> Nullable<Uuid>,
        order_id -> Nullable<Uuid>,
        failure_code -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Uuid,
        brand_id -> Uuid,
        customer_id -> Uuid,
        plan_id -> Uuid,
        region -> Text,
        payment_token -> Text,
        status -> Text,
        next_renewal_at -> Nullable<Timestamptz>,
        period -> Int4,
        failed_attempts -> Int4,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tracking_events (id) {
        id -> Uuid,
        vendor_order_id -> Uuid,
        source -> Text,
        external_id -> Text,
        kind -> Text,
        description -> Text,
        location -> Nullable<Text>,
        occurred_at -> Timestamptz,
        recorded_at -> Timestamptz,
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
        #[max_length = 3]
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
    vendor_orders (id) {
        id -> Uuid,
        order_id -> Uuid,
        vendor_id -> Uuid,
        status -> Text,
        total -> Numeric,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        shipping -> Numeric,
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
    wishlist_items (wishlist_id, product_id) {
        wishlist_id -> Uuid,
        product_id -> Uuid,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    wishlists (id) {
        id -> Uuid,
        customer_id -> Uuid,
        brand_id -> Uuid,
        name -> Text,
        share_token -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(age_verifications -> customers (customer_id));
diesel::joinable!(backorders -> orders (order_id));
diesel::joinable!(backorders -> variants (variant_id));
diesel::joinable!(captures -> orders (order_id));
diesel::joinable!(captures -> vendor_orders (vendor_order_id));
diesel::joinable!(cart_lines -> carts (cart_id));
diesel::joinable!(cart_lines -> variants (variant_id));
diesel::joinable!(carts -> brands (brand_id));
diesel::joinable!(carts -> customers (customer_id));
diesel::joinable!(commission_rates -> categories (category_id));
diesel::joinable!(commission_rates -> vendors (vendor_id));
diesel::joinable!(customer_addresses -> customers (customer_id));
diesel::joinable!(customer_sessions -> brands (brand_id));
diesel::joinable!(customer_sessions -> customers (customer_id));
diesel::joinable!(customer_tokens -> customers (customer_id));
diesel::joinable!(customers -> brands (brand_id));
diesel::joinable!(inventory_movements -> variants (variant_id));
diesel::joinable!(inventory_movements -> warehouses (warehouse_id));
diesel::joinable!(listings -> brands (brand_id));
diesel::joinable!(listings -> products (product_id));
diesel::joinable!(loyalty_entries -> customers (customer_id));
diesel::joinable!(loyalty_lots -> customers (customer_id));
diesel::joinable!(loyalty_lots -> loyalty_entries (entry_id));
diesel::joinable!(money_ledger -> orders (order_id));
diesel::joinable!(money_ledger -> vendors (vendor_id));
diesel::joinable!(order_events -> orders (order_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_lines -> variants (variant_id));
diesel::joinable!(order_lines -> vendors (vendor_id));
diesel::joinable!(order_shipping -> orders (order_id));
diesel::joinable!(order_shipping -> vendors (vendor_id));
diesel::joinable!(orders -> brands (brand_id));
diesel::joinable!(orders -> customers (customer_id));
diesel::joinable!(payments -> orders (order_id));
diesel::joinable!(payouts -> vendors (vendor_id));
diesel::joinable!(products -> categories (category_id));
diesel::joinable!(products -> vendors (vendor_id));
diesel::joinable!(refund_lines -> order_lines (order_line_id));
diesel::joinable!(refund_lines -> refunds (refund_id));
diesel::joinable!(refunds -> orders (order_id));
diesel::joinable!(refunds -> vendor_orders (vendor_order_id));
diesel::joinable!(reservations -> orders (order_id));
diesel::joinable!(shipping_rates -> vendors (vendor_id));
diesel::joinable!(stock_levels -> variants (variant_id));
diesel::joinable!(stock_levels -> warehouses (warehouse_id));
diesel::joinable!(stock_syncs -> vendors (vendor_id));
diesel::joinable!(subscription_lines -> subscriptions (subscription_id));
diesel::joinable!(subscription_lines -> variants (variant_id));
diesel::joinable!(subscription_renewals -> carts (cart_id));
diesel::joinable!(subscription_renewals -> orders (order_id));
diesel::joinable!(subscription_renewals -> subscriptions (subscription_id));
diesel::joinable!(subscriptions -> brands (brand_id));
diesel::joinable!(subscriptions -> customers (customer_id));
diesel::joinable!(subscriptions -> subscription_plans (plan_id));
diesel::joinable!(tracking_events -> vendor_orders (vendor_order_id));
diesel::joinable!(variants -> products (product_id));
diesel::joinable!(variants -> vendors (vendor_id));
diesel::joinable!(vendor_orders -> orders (order_id));
diesel::joinable!(vendor_orders -> vendors (vendor_id));
diesel::joinable!(vendor_status_events -> vendors (vendor_id));
diesel::joinable!(warehouses -> vendors (vendor_id));
diesel::joinable!(wishlist_items -> products (product_id));
diesel::joinable!(wishlist_items -> wishlists (wishlist_id));
diesel::joinable!(wishlists -> brands (brand_id));
diesel::joinable!(wishlists -> customers (customer_id));

diesel::allow_tables_to_appear_in_same_query!(
    age_verifications,
    backorders,
    brands,
    captures,
    cart_lines,
    carts,
    categories,
    commission_rates,
    customer_addresses,
    customer_sessions,
    customer_settings,
    customer_tokens,
    customers,
    idempotency_keys,
    inventory_movements,
    listings,
    loyalty_entries,
    loyalty_lots,
    money_ledger,
    order_events,
    order_lines,
    order_shipping,
    orders,
    outbox,
    payment_events,
    payment_routes,
    payments,
    payouts,
    products,
    refund_lines,
    refunds,
    reservations,
    shipping_rates,
    stock_levels,
    stock_syncs,
    subscription_lines,
    subscription_plans,
    subscription_renewals,
    subscriptions,
    tracking_events,
    variants,
    vendor_orders,
    vendor_status_events,
    vendors,
    warehouses,
    wishlist_items,
    wishlists,
);
