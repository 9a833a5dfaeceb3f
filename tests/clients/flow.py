"""A storefront and back-office flow through the Python client that
scripts/clients generates (openapi-python-client): a platform operator makes
a tenant, the tenant a brand and a vendor, the vendor a catalog, and a
shopper buys from it and sees it shipped. Only generated-client calls; keys
go in the client's bearer token, session and cart headers in the generated
operations' header arguments. flow.ts walks the same steps through the
TypeScript client.

Usage: python flow.py <base URL> <platform key> (with the generated
`bazaar_client` package importable); exits non-zero on the first failed step.
"""

import datetime
import sys
import time
import traceback
import uuid
from decimal import Decimal
from typing import Any, TypeVar

from bazaar_client import AuthenticatedClient
from bazaar_client.api.brands import create_brand
from bazaar_client.api.carts import (
    add_cart_line,
    checkout_cart,
    create_cart,
    get_cart,
    get_order,
)
from bazaar_client.api.customers import (
    add_to_wishlist,
    create_wishlist,
    get_me,
    get_my_order,
    list_my_orders,
    login_customer,
    register_customer,
    verify_customer_age,
)
from bazaar_client.api.fulfilment import (
    list_vendor_orders,
    pack_vendor_order,
    set_shipping_rate,
    ship_vendor_order,
)
from bazaar_client.api.inventory import create_warehouse, record_stock_change
from bazaar_client.api.keys import create_key, whoami
from bazaar_client.api.listings import create_listing
from bazaar_client.api.platform import create_tenant, create_tenant_key
from bazaar_client.api.products import create_product
from bazaar_client.api.storefront import (
    browse_products,
    search_products,
    storefront_product,
)
from bazaar_client.api.vendors import apply_vendor, approve_vendor
from bazaar_client.models import (
    AddLine,
    AgeVerificationView,
    Approval,
    Brand,
    BrowseSort,
    CartView,
    CheckoutInput,
    CreateBrand,
    CreateCart,
    CreateKey,
    CreateListing,
    CreateProduct,
    CreateProductAttributes,
    CreateTenant,
    CreateVendor,
    CreateWarehouse,
    GuestCart,
    IssuedKey,
    KeyScope,
    Listing,
    Login,
    ManualMovement,
    Me,
    NewCart,
    Order,
    OrderDetail,
    OrderHistoryPage,
    OrderStatus,
    PaymentStatus,
    Product,
    ProductCardPage,
    ProductStatus,
    Register,
    SearchPage,
    SessionView,
    SetShippingRate,
    Shipment,
    ShippingRate,
    StatusChange,
    StockChange,
    StockLevel,
    StorefrontProduct,
    Tenant,
    TenantStatus,
    VariantInput,
    VariantInputOptions,
    Vendor,
    VendorOrder,
    VendorOrderPage,
    VendorOrderStatus,
    VendorStatus,
    VerifyAge,
    Warehouse,
    WhoAmI,
    WishlistDetail,
    WishlistInput,
    WishlistView,
)
from bazaar_client.types import UNSET, Unset

T = TypeVar("T")


class FlowError(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise FlowError(message)


def equal(actual: Any, expected: Any, what: str) -> None:
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def want(what: str, status: int, model: type[T], operation: Any, /, *args: Any, **kwargs: Any) -> T:
    """Call a generated operation; its parsed body when the server answered
    `status` with a `model`, else a failure naming the operation with what the
    server sent (a problem document, or a body the model could not read)."""
    try:
        response = operation.sync_detailed(*args, **kwargs)
    except Exception as error:  # the generated model refused the response body
        raise FlowError(f"{what}: the client could not read the response: {error!r}") from error
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, model):
        raise FlowError(
            f"{what}: expected {status} with a {model.__name__}, got {int(response.status_code)} "
            f"({type(parsed).__name__}): {response.content.decode(errors='replace')[:600]}"
        )
    return parsed


def cents(amount: str) -> int:
    """An amount in minor units from a decimal string such as "7.18"."""
    value = Decimal(amount)
    check(value.as_tuple().exponent == -2, f'"{amount}" is not an amount with two decimals')
    return int(value * 100)


def client(base: str, key: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True, timeout=30)


def step(name: str) -> None:
    print(f"python flow: {name}", flush=True)


def flow(base: str, platform_key: str) -> None:
    run = uuid.uuid4().hex[:10]

    # Platform: a tenant and its first admin key.
    step("tenant and admin key")
    platform = client(base, platform_key)
    tenant = want(
        "create_tenant",
        201,
        Tenant,
        create_tenant,
        client=platform,
        body=CreateTenant(slug=f"py{run}", name=f"Python flow {run}", regions=["US-CA"]),
    )
    equal(tenant.slug, f"py{run}", "tenant slug")
    equal(tenant.status, TenantStatus.ACTIVE, "new tenant status")
    equal(tenant.regions, ["US-CA"], "tenant regions")
    admin_key = want(
        "create_tenant_key",
        201,
        IssuedKey,
        create_tenant_key,
        tenant.id,
        client=platform,
        body=CreateKey(name="admin", scope=KeyScope.TENANT_ADMIN),
    )
    equal(admin_key.key.scope, KeyScope.TENANT_ADMIN, "admin key scope")
    equal(admin_key.key.tenant_id, tenant.id, "admin key tenant")
    admin = client(base, admin_key.secret)

    # The tenant admin: a brand and its storefront (publishable) key.
    step("brand and storefront key")
    brand = want(
        "create_brand",
        201,
        Brand,
        create_brand,
        client=admin,
        body=CreateBrand(slug="web", name="Web shop", currency="USD", default_region="US-CA"),
    )
    equal((brand.currency, brand.default_region), ("USD", "US-CA"), "brand currency and region")
    storefront_key = want(
        "create_key",
        201,
        IssuedKey,
        create_key,
        client=admin,
        body=CreateKey(name="web", scope=KeyScope.STOREFRONT, brand_id=brand.id),
    )
    equal(storefront_key.key.brand_id, brand.id, "storefront key brand")
    storefront = client(base, storefront_key.secret)
    who = want("whoami", 200, WhoAmI, whoami, client=storefront)
    equal((who.scope, who.brand_id, who.tenant_id), (KeyScope.STOREFRONT, brand.id, tenant.id), "whoami")

    # Vendor onboarding: the vendor applies, the tenant approves, which
    # issues the vendor's own key.
    step("vendor onboarding")
    applied = want(
        "apply_vendor",
        201,
        Vendor,
        apply_vendor,
        client=admin,
        body=CreateVendor(slug="greenhouse", name="Greenhouse", contact_email="sales@greenhouse.example"),
    )
    equal(applied.status, VendorStatus.PENDING, "applied vendor status")
    approval = want(
        "approve_vendor",
        200,
        Approval,
        approve_vendor,
        applied.id,
        client=admin,
        body=StatusChange(),
    )
    equal(approval.vendor.status, VendorStatus.APPROVED, "approved vendor status")
    equal((approval.key.key.scope, approval.key.key.vendor_id), (KeyScope.VENDOR, applied.id), "vendor key")
    vendor_id = applied.id
    vendor = client(base, approval.key.secret)

    # The vendor's catalog: a warehouse, products with variants, stock, the
    # listings in the brand and a shipping rate.
    step("warehouse, products, stock, listings, shipping rate")
    warehouse = want(
        "create_warehouse",
        201,
        Warehouse,
        create_warehouse,
        client=vendor,
        body=CreateWarehouse(code="LA-1", name="Los Angeles", region="US-CA"),
    )
    equal(warehouse.vendor_id, vendor_id, "warehouse vendor")

    def attributes(**values: str) -> CreateProductAttributes:
        made = CreateProductAttributes()
        made.additional_properties.update(values)
        return made

    def options(**values: str) -> VariantInputOptions:
        made = VariantInputOptions()
        made.additional_properties.update(values)
        return made

    inputs = [
        CreateProduct(
            slug="cotton-tee",
            title="Organic Cotton Tee",
            description="A soft tee of organic cotton.",
            status=ProductStatus.ACTIVE,
            attributes=attributes(colour="green"),
            variants=[
                VariantInput(sku="TEE-S", title="Small", price="30.00", currency="USD", options=options(size="S")),
                VariantInput(sku="TEE-M", title="Medium", price="32.00", currency="USD", options=options(size="M")),
            ],
        ),
        CreateProduct(
            slug="sativa-flower",
            title="Sativa Flower",
            description="Sun-grown flower.",
            status=ProductStatus.ACTIVE,
            attributes=attributes(colour="green"),
            variants=[
                VariantInput(
                    sku="FLW-3.5",
                    title="3.5 g",
                    price="35.00",
                    currency="USD",
                    tax_category="cannabis_flower",
                    weight_grams="3.5",
                ),
                VariantInput(
                    sku="FLW-7",
                    title="7 g",
                    price="65.00",
                    currency="USD",
                    tax_category="cannabis_flower",
                    weight_grams="7",
                ),
            ],
        ),
        CreateProduct(
            slug="clay-mug",
            title="Clay Mug",
            description="A mug thrown by hand.",
            status=ProductStatus.ACTIVE,
            attributes=attributes(colour="blue"),
            variants=[VariantInput(sku="MUG", price="12.00", currency="USD")],
        ),
    ]
    products: dict[str, Product] = {}
    for body in inputs:
        product = want(f"create_product {body.slug}", 201, Product, create_product, client=vendor, body=body)
        equal(product.vendor_id, vendor_id, f"{body.slug} vendor")
        equal(
            [(v.sku, v.price) for v in product.variants],
            [(v.sku, v.price) for v in body.variants],
            f"{body.slug} variants",
        )
        products[body.slug] = product
        for variant in product.variants:
            level = want(
                f"record_stock_change {variant.sku}",
                201,
                StockLevel,
                record_stock_change,
                client=vendor,
                body=StockChange(
                    variant_id=variant.id, warehouse_id=warehouse.id, kind=ManualMovement.RECEIVE, quantity=20
                ),
            )
            equal((level.on_hand, level.available), (20, 20), f"{variant.sku} stock")
        listing = want(
            f"create_listing {body.slug}",
            201,
            Listing,
            create_listing,
            client=vendor,
            body=CreateListing(brand_id=brand.id, product_id=product.id),
        )
        equal((listing.brand_id, listing.vendor_id), (brand.id, vendor_id), f"{body.slug} listing")
        equal(listing.price, body.variants[0].price, f"{body.slug} listing price")
    tee, flower, mug = products["cotton-tee"], products["sativa-flower"], products["clay-mug"]
    tee_m, flower_35 = tee.variants[1], flower.variants[0]
    rate = want(
        "set_shipping_rate",
        200,
        ShippingRate,
        set_shipping_rate,
        "US-CA",
        "USD",
        client=vendor,
        body=SetShippingRate(flat="4.00", per_item="0.50"),
    )
    equal((rate.vendor_id, rate.flat, rate.per_item), (vendor_id, "4.00", "0.50"), "shipping rate")

    # The storefront: everything listed, then green things one per page,
    # following the cursor.
    step("browse with a filter and the cursor")
    everything = want("browse_products", 200, ProductCardPage, browse_products, client=storefront)
    equal(
        sorted(card.slug for card in everything.items), ["clay-mug", "cotton-tee", "sativa-flower"], "everything listed"
    )
    seen: list[str] = []
    cursor: str | Unset = UNSET
    for _ in range(5):
        page = want(
            "browse_products",
            200,
            ProductCardPage,
            browse_products,
            client=storefront,
            attr=["colour:green"],
            in_stock=True,
            sort=BrowseSort.TITLE,
            limit=1,
            cursor=cursor,
        )
        check(len(page.items) <= 1, f"a page of limit 1 has {len(page.items)} items")
        seen.extend(card.slug for card in page.items)
        for card in page.items:
            equal((card.currency, card.in_stock), ("USD", True), f"{card.slug} card")
        if not isinstance(page.next_cursor, str):
            break
        cursor = page.next_cursor
    equal(seen, ["cotton-tee", "sativa-flower"], "green products by title across pages")

    # Search: the index follows the catalog within seconds.
    step("search")
    deadline = time.monotonic() + 15
    while True:
        hits = want("search_products", 200, SearchPage, search_products, client=storefront, q="cotton")
        if hits.total > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    equal(hits.total, 1, 'products found for "cotton"')
    equal(hits.items[0].product.slug, "cotton-tee", "search hit")
    check("<b>Cotton</b>" in hits.items[0].title_snippet, "the title snippet marks the match")

    # The product page.
    step("product page")
    page_view = want("storefront_product", 200, StorefrontProduct, storefront_product, "cotton-tee", client=storefront)
    equal((page_view.id, page_view.vendor_id, page_view.price), (tee.id, vendor_id, "30.00"), "product page")
    equal([v.sku for v in page_view.variants], ["TEE-S", "TEE-M"], "product page variants")

    # A guest cart, priced by the brand's region.
    step("cart priced by the region")
    email = f"shopper-{run}@example.com"
    created = want("create_cart", 201, NewCart, create_cart, client=storefront, body=CreateCart(contact_email=email))
    cart_id = created.cart.id
    cart_token = created.token
    if not isinstance(cart_token, str) or not cart_token:
        raise FlowError(f"a guest cart has a token, got {cart_token!r}")
    equal((created.cart.region, created.cart.currency), ("US-CA", "USD"), "cart region and currency")
    want(
        "add_cart_line tee",
        200,
        CartView,
        add_cart_line,
        cart_id,
        client=storefront,
        x_cart_token=cart_token,
        body=AddLine(variant_id=tee_m.id, quantity=2),
    )
    priced = want(
        "add_cart_line flower",
        200,
        CartView,
        add_cart_line,
        cart_id,
        client=storefront,
        x_cart_token=cart_token,
        body=AddLine(variant_id=flower_35.id, quantity=1),
    )
    equal([(line.sku, line.quantity) for line in priced.lines], [("TEE-M", 2), ("FLW-3.5", 1)], "cart lines")
    totals = priced.totals
    # 2 x 32.00 + 35.00; 4.00 + 3 x 0.50 shipping (untaxed in California);
    # 7.25% sales tax on both lines, 15% cannabis excise on the flower.
    equal((totals.subtotal, totals.shipping_total), ("99.00", "5.50"), "cart subtotal and shipping")
    check(cents(totals.tax_total) > 0, f"a US-CA cart is taxed, got tax {totals.tax_total}")
    equal((totals.tax_total, totals.excise_total), ("7.18", "5.25"), "cart tax and excise")
    equal(
        cents(totals.total),
        cents(totals.subtotal) + cents(totals.shipping_total) + cents(totals.tax_total) + cents(totals.excise_total),
        "gross is net + shipping + tax + excise",
    )
    equal(priced.age_verification_required, True, "flower needs a verified age in US-CA")

    # The shopper signs up, then signs in bringing the guest cart along.
    step("register and login")
    password = "correct horse battery"
    registered = want(
        "register_customer",
        201,
        SessionView,
        register_customer,
        client=storefront,
        body=Register(email=email, password=password, name="Sam Shopper"),
    )
    equal(registered.customer.email, email, "registered email")
    login = want(
        "login_customer",
        200,
        SessionView,
        login_customer,
        client=storefront,
        body=Login(email=email, password=password, cart=GuestCart(cart_id=cart_id, token=cart_token)),
    )
    equal((login.customer.id, login.cart_id), (registered.customer.id, cart_id), "login keeps the cart")
    session = login.token
    mine = want("get_cart", 200, CartView, get_cart, cart_id, client=storefront, x_customer_token=session)
    equal(mine.totals.total, totals.total, "the signed-in shopper's cart")

    # Flower in California: the shop verifies the shopper's age.
    step("age verification")
    before = want("get_me", 200, Me, get_me, client=storefront, x_customer_token=session)
    check(not isinstance(before.age_verification, AgeVerificationView), "not verified yet")
    verified = want(
        "verify_customer_age",
        201,
        AgeVerificationView,
        verify_customer_age,
        login.customer.id,
        client=admin,
        body=VerifyAge(date_of_birth=datetime.date(1980, 4, 1), method="id_document", reference="DL-1234"),
    )
    equal((str(verified.date_of_birth), verified.method), ("1980-04-01", "id_document"), "age verification")
    me = want("get_me", 200, Me, get_me, client=storefront, x_customer_token=session)
    if not isinstance(me.age_verification, AgeVerificationView):
        raise FlowError(f"me: verified, got age_verification {me.age_verification!r}")
    equal((str(me.date_of_birth), me.age_verification.method), ("1980-04-01", "id_document"), "me, verified")

    # Checkout, then the same request again: the same order.
    step("checkout and replay")
    idempotency_key = str(uuid.uuid4())

    def checkout() -> Order:
        return want(
            "checkout_cart",
            201,
            Order,
            checkout_cart,
            cart_id,
            client=storefront,
            x_customer_token=session,
            idempotency_key=idempotency_key,
            body=CheckoutInput(payment_token="tok_success"),
        )

    order = checkout()
    equal(
        (order.status, order.payment_status, order.region),
        (OrderStatus.PAID, PaymentStatus.SUCCEEDED, "US-CA"),
        "order",
    )
    equal(order.total, totals.total, "order total is the cart's total")
    replay = checkout()
    equal(replay.id, order.id, "replayed checkout's order")

    step("order, lines and history")
    fetched = want("get_order", 200, OrderDetail, get_order, order.id, client=storefront, x_customer_token=session)
    equal((fetched.id, fetched.total), (order.id, order.total), "order read back")
    equal(len(fetched.lines), 2, "the order's lines")
    detail = want("get_my_order", 200, OrderDetail, get_my_order, order.id, client=storefront, x_customer_token=session)
    equal(
        sorted((line.sku, line.quantity, line.unit_price) for line in detail.lines),
        [("FLW-3.5", 1, "35.00"), ("TEE-M", 2, "32.00")],
        "order lines",
    )
    history = want("list_my_orders", 200, OrderHistoryPage, list_my_orders, client=storefront, x_customer_token=session)
    equal([(o.id, o.status) for o in history.items], [(order.id, OrderStatus.PAID)], "order history")

    step("wishlist")
    wishlist = want(
        "create_wishlist",
        201,
        WishlistView,
        create_wishlist,
        client=storefront,
        x_customer_token=session,
        body=WishlistInput(name="Later"),
    )
    wished = want(
        "add_to_wishlist",
        200,
        WishlistDetail,
        add_to_wishlist,
        wishlist.id,
        mug.id,
        client=storefront,
        x_customer_token=session,
    )
    equal((wished.items, [(p.product_id, p.title) for p in wished.products]), (1, [(mug.id, "Clay Mug")]), "wishlist")

    # The vendor packs and ships its part.
    step("vendor packs and ships")
    pending = want(
        "list_vendor_orders",
        200,
        VendorOrderPage,
        list_vendor_orders,
        client=vendor,
        status=VendorOrderStatus.PENDING,
    )
    parts = [p for p in pending.items if p.order_id == order.id]
    check(len(parts) == 1, f"the vendor's pending orders hold order {order.id}")
    part = parts[0]
    equal((part.vendor_id, part.total), (vendor_id, order.total), "the vendor's part is the whole order")
    packed = want("pack_vendor_order", 200, VendorOrder, pack_vendor_order, part.id, client=vendor)
    equal(packed.status, VendorOrderStatus.PACKED, "packed part")
    shipped = want(
        "ship_vendor_order",
        200,
        VendorOrder,
        ship_vendor_order,
        part.id,
        client=vendor,
        body=Shipment(carrier="UPS", tracking_number="1Z999AA10123456784"),
    )
    equal(
        (shipped.status, shipped.carrier, shipped.tracking_number),
        (VendorOrderStatus.SHIPPED, "UPS", "1Z999AA10123456784"),
        "shipped part",
    )

    step("the shopper sees it shipped")
    after = want("get_my_order", 200, OrderDetail, get_my_order, order.id, client=storefront, x_customer_token=session)
    equal(after.status, OrderStatus.SHIPPED, "order status after shipping")
    shipped_orders = want(
        "list_my_orders",
        200,
        OrderHistoryPage,
        list_my_orders,
        client=storefront,
        x_customer_token=session,
        status=OrderStatus.SHIPPED,
    )
    equal([o.id for o in shipped_orders.items], [order.id], "shipped orders")


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: python flow.py <base URL> <platform key>", file=sys.stderr)
        return 2
    try:
        flow(sys.argv[1], sys.argv[2])
    except FlowError as error:
        print(f"python flow: FAILED: {error}", file=sys.stderr)
        return 1
    except Exception:
        print(f"python flow: FAILED:\n{traceback.format_exc()}", file=sys.stderr)
        return 1
    print("python flow: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
