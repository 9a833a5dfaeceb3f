//! Carts and their lines. A cart is reached by id plus its token (only the
//! token's SHA-256 is stored) or, once it belongs to a customer, by id plus
//! the customer's session. A customer's carts are its working cart (the
//! most recently active unnamed one) and any it saved under a name.

use bazaar_domain::Currency;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::{cached, prepared};
use crate::schema::tenant::{cart_lines, carts, listings, products, variants};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = carts)]
pub struct Cart {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub region: String,
    pub currency: Currency,
    pub contact_email: Option<String>,
    pub status: String,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub customer_id: Option<Uuid>,
    pub saved_name: Option<String>,
    /// Where its order goes (`{name, line1, line2, city, postal_code,
    /// country, subdivision, phone}`); it decides `region`.
    pub shipping_address: Option<serde_json::Value>,
}

/// How a caller proves a cart is theirs.
#[derive(Debug, Clone)]
pub enum Access {
    /// The cart's own token.
    Token(String),
    /// The session of the customer the cart belongs to.
    Customer(Uuid),
}

/// A line with what pricing needs: the variant and its listing in the
/// cart's brand (absent when the product is no longer shown there).
#[derive(Debug, Clone, PartialEq)]
pub struct PricedLine {
    pub id: Uuid,
    pub quantity: i32,
    pub variant_id: Uuid,
    pub vendor_id: Uuid,
    pub product_id: Uuid,
    pub product_title: String,
    pub sku: String,
    pub variant_title: String,
    pub price: Decimal,
    pub currency: Currency,
    pub tax_category: String,
    pub weight_grams: Option<Decimal>,
    pub age_restricted: bool,
    pub listing_price: Option<Decimal>,
    pub visible: Option<bool>,
}

use crate::secret::hash as token_hash;

pub async fn create(
    conn: &mut TenantConn,
    brand_id: Uuid,
    region: &str,
    currency: Currency,
    contact_email: Option<&str>,
    customer: Option<Uuid>,
) -> Result<(Cart, String), StoreError> {
    let token = crate::secret::generate("ct_");
    let cart = diesel::insert_into(carts::table)
        .values((
            carts::id.eq(bazaar_domain::ids::new_id()),
            carts::token_hash.eq(token_hash(&token)),
            carts::brand_id.eq(brand_id),
            carts::region.eq(region),
            carts::currency.eq(currency),
            carts::contact_email.eq(contact_email),
            carts::customer_id.eq(customer),
        ))
        .returning(Cart::as_returning())
        .get_result(conn.pg())
        .await?;
    Ok((cart, token))
}

/// The cart, if `access` opens it and it belongs to `brand`. A token opens
/// only a guest cart: once a customer owns a cart, only their session does
/// (a token left on a shared device opens nothing). A merged cart is gone
/// (its lines live on in the cart it merged into).
pub async fn get(
    conn: &mut TenantConn,
    id: Uuid,
    brand: Uuid,
    access: &Access,
) -> Result<Cart, StoreError> {
    // Two static queries rather than one boxed one: a static query's
    // prepared statement is found by its type, without writing out its SQL
    // first, and this runs on every cart request and checkout.
    let query = carts::table
        .find(id)
        .filter(carts::brand_id.eq(brand))
        .filter(carts::status.ne("merged"))
        .select(Cart::as_select());
    Ok(match access {
        Access::Token(token) => {
            query
                .filter(carts::token_hash.eq(token_hash(token)))
                .filter(carts::customer_id.is_null())
                .get_result(conn.pg())
                .await?
        }
        Access::Customer(customer) => {
            query
                .filter(carts::customer_id.eq(*customer))
                .get_result(conn.pg())
                .await?
        }
    })
}

/// The customer's open carts in the brand, most recently active first:
/// the first unnamed one is the working cart.
pub async fn of_customer(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Uuid,
) -> Result<Vec<Cart>, StoreError> {
    Ok(carts::table
        .filter(carts::customer_id.eq(customer))
        .filter(carts::brand_id.eq(brand))
        .filter(carts::status.eq("open"))
        .order((carts::last_activity_at.desc(), carts::id.desc()))
        .limit(100)
        .select(Cart::as_select())
        .load(conn.pg())
        .await?)
}

/// Name the cart (saving it for later) or clear the name (making it the
/// working cart again, as the most recently active).
pub async fn set_saved_name(
    conn: &mut TenantConn,
    id: Uuid,
    name: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(carts::table.find(id))
        .set(carts::saved_name.eq(name))
        .execute(conn.pg())
        .await?;
    update(conn, id, None, None).await?;
    Ok(())
}

/// At login, a guest cart joins the customer's carts: merged into the
/// working cart when there is one (quantities of the same variant added,
/// up to a line's limit), else attached as the working cart. Returns the
/// cart the shopper should use from now on, or `None` when the guest cart
/// is no longer an open guest cart (checked out, merged or adopted by a
/// concurrent sign-in: its row is locked and re-checked first).
pub async fn adopt(
    conn: &mut TenantConn,
    guest: &Cart,
    customer: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    let still_guest: Option<Uuid> = carts::table
        .find(guest.id)
        .filter(carts::status.eq("open"))
        .filter(carts::customer_id.is_null())
        .select(carts::id)
        .for_update()
        .get_result(conn.pg())
        .await
        .optional()?;
    if still_guest.is_none() {
        return Ok(None);
    }
    let working = of_customer(conn, customer, guest.brand_id)
        .await?
        .into_iter()
        .find(|c| c.saved_name.is_none() && c.id != guest.id);
    let Some(working) = working else {
        diesel::update(carts::table.find(guest.id))
            .set(carts::customer_id.eq(customer))
            .execute(conn.pg())
            .await?;
        update(conn, guest.id, None, None).await?;
        return Ok(Some(guest.id));
    };
    // Lock the working cart too (a checkout of it may be running: it must
    // not gain lines after being closed).
    let working_open: Option<Uuid> = carts::table
        .find(working.id)
        .filter(carts::status.eq("open"))
        .select(carts::id)
        .for_update()
        .get_result(conn.pg())
        .await
        .optional()?;
    if working_open.is_none() {
        diesel::update(carts::table.find(guest.id))
            .set(carts::customer_id.eq(customer))
            .execute(conn.pg())
            .await?;
        update(conn, guest.id, None, None).await?;
        return Ok(Some(guest.id));
    }
    // Every guest line into the working cart in one statement (an upsert
    // from a select, capped at a line's limit): fixed raw SQL.
    prepared(
        "INSERT INTO cart_lines (id, cart_id, variant_id, quantity) \
         SELECT gen_random_uuid(), $2, variant_id, quantity FROM cart_lines WHERE cart_id = $1 \
         ON CONFLICT (cart_id, variant_id) DO UPDATE \
         SET quantity = LEAST(cart_lines.quantity + EXCLUDED.quantity, 10000), updated_at = now()",
    )
    .bind::<SqlUuid, _>(guest.id)
    .bind::<SqlUuid, _>(working.id)
    .execute(conn.pg())
    .await?;
    diesel::update(carts::table.find(guest.id))
        .set((
            carts::status.eq("merged"),
            carts::merged_into.eq(working.id),
            carts::customer_id.eq(customer),
            carts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    if working.contact_email.is_none() && guest.contact_email.is_some() {
        update(conn, working.id, None, Some(guest.contact_email.clone())).await?;
    } else {
        update(conn, working.id, None, None).await?;
    }
    Ok(Some(working.id))
}

/// Change the region or contact, and record activity.
pub async fn update(
    conn: &mut TenantConn,
    id: Uuid,
    region: Option<String>,
    contact_email: Option<Option<String>>,
) -> Result<Cart, StoreError> {
    #[derive(AsChangeset)]
    #[diesel(table_name = carts)]
    struct Changes {
        region: Option<String>,
        contact_email: Option<Option<String>>,
    }
    Ok(diesel::update(carts::table.find(id))
        .set((
            Changes {
                region,
                contact_email,
            },
            carts::last_activity_at.eq(diesel::dsl::now),
            carts::updated_at.eq(diesel::dsl::now),
            carts::abandoned_notified_at.eq(None::<DateTime<Utc>>),
        ))
        .returning(Cart::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// Set (or clear) where the cart's order goes, with the region pack the
/// address decides, and record activity.
pub async fn set_shipping_address(
    conn: &mut TenantConn,
    id: Uuid,
    address: Option<&serde_json::Value>,
    region: &str,
) -> Result<Cart, StoreError> {
    Ok(diesel::update(carts::table.find(id))
        .set((
            carts::shipping_address.eq(address),
            carts::region.eq(region),
            carts::last_activity_at.eq(diesel::dsl::now),
            carts::updated_at.eq(diesel::dsl::now),
            carts::abandoned_notified_at.eq(None::<DateTime<Utc>>),
        ))
        .returning(Cart::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// Add `quantity` of a variant (to the existing line, if any).
pub async fn add(
    conn: &mut TenantConn,
    cart_id: Uuid,
    variant_id: Uuid,
    quantity: i32,
) -> Result<(), StoreError> {
    cached(
        diesel::insert_into(cart_lines::table)
            .values((
                cart_lines::id.eq(bazaar_domain::ids::new_id()),
                cart_lines::cart_id.eq(cart_id),
                cart_lines::variant_id.eq(variant_id),
                cart_lines::quantity.eq(quantity),
            ))
            .on_conflict((cart_lines::cart_id, cart_lines::variant_id))
            .do_update()
            .set((
                cart_lines::quantity.eq(cart_lines::quantity + excluded(cart_lines::quantity)),
                cart_lines::updated_at.eq(diesel::dsl::now),
            )),
    )
    .execute(conn.pg())
    .await?;
    update(conn, cart_id, None, None).await?;
    Ok(())
}

/// Set a line's quantity; 0 removes it.
pub async fn set_quantity(
    conn: &mut TenantConn,
    cart_id: Uuid,
    line_id: Uuid,
    quantity: i32,
) -> Result<(), StoreError> {
    let target = cart_lines::table
        .filter(cart_lines::id.eq(line_id))
        .filter(cart_lines::cart_id.eq(cart_id));
    let n = if quantity == 0 {
        diesel::delete(target).execute(conn.pg()).await?
    } else {
        diesel::update(target)
            .set((
                cart_lines::quantity.eq(quantity),
                cart_lines::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn.pg())
            .await?
    };
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    update(conn, cart_id, None, None).await?;
    Ok(())
}

/// The cart's lines, oldest first, with their variants and listings.
pub async fn lines(conn: &mut TenantConn, cart: &Cart) -> Result<Vec<PricedLine>, StoreError> {
    type Row = (
        Uuid,
        i32,
        Uuid,
        Uuid,
        Uuid,
        String,
        String,
        String,
        Decimal,
        Currency,
        String,
        Option<Decimal>,
        bool,
        Option<Decimal>,
        Option<bool>,
    );
    let rows: Vec<Row> = cart_lines::table
        .inner_join(variants::table.on(variants::id.eq(cart_lines::variant_id)))
        .inner_join(products::table.on(products::id.eq(variants::product_id)))
        .left_join(
            listings::table.on(listings::product_id
                .eq(variants::product_id)
                .and(listings::brand_id.eq(cart.brand_id))),
        )
        .filter(cart_lines::cart_id.eq(cart.id))
        .order(cart_lines::id)
        .select((
            cart_lines::id,
            cart_lines::quantity,
            variants::id,
            variants::vendor_id,
            products::id,
            products::title,
            variants::sku,
            variants::title,
            variants::price,
            variants::currency,
            variants::tax_category,
            variants::weight_grams,
            variants::age_restricted,
            listings::price_override.nullable(),
            listings::visible.nullable(),
        ))
        .load(conn.pg())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| PricedLine {
            id: r.0,
            quantity: r.1,
            variant_id: r.2,
            vendor_id: r.3,
            product_id: r.4,
            product_title: r.5,
            sku: r.6,
            variant_title: r.7,
            price: r.8,
            currency: r.9,
            tax_category: r.10,
            weight_grams: r.11,
            age_restricted: r.12,
            listing_price: r.13,
            visible: r.14,
        })
        .collect())
}

/// Open carts with a contact email idle since before `cutoff` that have not
/// been announced yet; each gets a `cart.abandoned` outbox event, once.
pub async fn announce_abandoned(
    conn: &mut TenantConn,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Cart>, StoreError> {
    let idle: Vec<Cart> = carts::table
        .filter(carts::status.eq("open"))
        .filter(carts::contact_email.is_not_null())
        .filter(carts::abandoned_notified_at.is_null())
        .filter(carts::last_activity_at.lt(cutoff))
        .order(carts::last_activity_at)
        .limit(1000)
        .select(Cart::as_select())
        .for_update()
        .skip_locked()
        .load(conn.pg())
        .await?;
    for cart in &idle {
        diesel::update(carts::table.find(cart.id))
            .set(carts::abandoned_notified_at.eq(diesel::dsl::now))
            .execute(conn.pg())
            .await?;
        crate::tenant::outbox::publish(
            conn,
            "cart.abandoned",
            serde_json::json!({
                "cart_id": cart.id,
                "brand_id": cart.brand_id,
                "contact_email": cart.contact_email,
                "last_activity_at": cart.last_activity_at,
            }),
        )
        .await?;
    }
    Ok(idle)
}
