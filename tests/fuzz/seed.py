"""Seed a Bazaar tenant for one fuzzing scope and write schemathesis's
configuration for it (scripts/fuzz runs this once per scope).

Usage: python seed.py <base URL> <platform key> <scope> <config.toml>

Every scope gets a tenant of its own, seeded through the API alike: an admin
key, a brand and its storefront key, an approved vendor and its key, a
warehouse, products with stock, listings, a shipping rate, a category tree,
a signed-in customer with an address, a wishlist (shared), an open cart and
an order, a guest cart and a guest order, and the vendor's part of each
order. So what one scope's run changes or destroys (a suspended tenant, a
deleted listing) never reaches another scope's, and each run starts from the
same state.

The configuration gives schemathesis the scope's credentials (the key as the
bearer token; for `customer`, also the session as `X-Customer-Token` and
for `storefront` the guest cart's `X-Cart-Token`) and fixes the path
parameters to the seeded objects, so the run reaches real objects instead of
a 404 for a random id. Bodies and query strings are generated, with ids,
region and currency codes, slugs, emails and the password drawn from the
seeded ones in most requests (schemathesis dictionaries). An operation that
destroys its target (a delete, a revoke, signing out, erasing an account,
checking a cart out) is pointed at a spare object seeded for it, so the
objects the rest of the run works on stay in place.

The scopes: platform (the platform key), admin (a tenant admin key), vendor
(the vendor's key), storefront (the brand's publishable key) and customer
(the publishable key with a customer's session).
"""

import json
import os
import sys
import uuid
from typing import Any

import requests

SCOPES = ("platform", "admin", "vendor", "storefront", "customer")
PASSWORD = "fuzzing passphrase 1"


class SeedError(Exception):
    pass


class SourceAddress(requests.adapters.HTTPAdapter):
    """Connections from a chosen loopback address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Api:
    """One key's calls. Seeding signs up six customers per scope, and the
    server throttles sign-ups and sign-ins per client address (50 in 15
    minutes), which the fuzzing itself, from 127.0.0.1, uses up: each
    scope seeds from a loopback address of its own (127.0.0.2 to .6), so
    seeding never meets the throttle whatever the fuzzing did before."""

    def __init__(self, base: str, key: str, source: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.mount("http://", SourceAddress(source))
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, status: int, body: Any = None, **headers: str) -> Any:
        response = self.session.request(
            method,
            self.base + path,
            json=body,
            headers={name.replace("_", "-"): value for name, value in headers.items()},
            timeout=60,
        )
        if response.status_code != status:
            raise SeedError(f"{method} {path}: expected {status}, got {response.status_code}: {response.text[:600]}")
        return response.json() if response.content else None


def seed(base: str, platform_key: str, scope: str) -> dict[str, Any]:
    """One tenant with one of everything; returns the ids and secrets."""
    run = uuid.uuid4().hex[:8]
    source = f"127.0.0.{SCOPES.index(scope) + 2}"
    platform = Api(base, platform_key, source)
    w: dict[str, Any] = {"platform_key": platform_key}

    tenant = platform.call(
        "POST",
        "/v1/platform/tenants",
        201,
        {"slug": f"fuzz-{scope}-{run}", "name": f"Fuzz {scope}", "regions": ["US-CA", "US-NY"]},
    )
    w["tenant_id"] = tenant["id"]
    issued = platform.call(
        "POST", f"/v1/platform/tenants/{tenant['id']}/keys", 201, {"name": "admin", "scope": "tenant_admin"}
    )
    w["admin_key"] = issued["secret"]
    admin = Api(base, w["admin_key"], source)
    # Spares for the revoking operations.
    w["spare_tenant_key_id"] = platform.call(
        "POST", f"/v1/platform/tenants/{tenant['id']}/keys", 201, {"name": "spare", "scope": "tenant_admin"}
    )["key"]["id"]
    w["spare_platform_key_id"] = platform.call(
        "POST", "/v1/platform/keys", 201, {"name": f"spare {run}", "scope": "platform"}
    )["key"]["id"]
    w["spare_key_id"] = admin.call("POST", "/v1/keys", 201, {"name": "spare", "scope": "tenant_admin"})["key"]["id"]

    brand = admin.call(
        "POST", "/v1/brands", 201, {"slug": "web", "name": "Web shop", "currency": "USD", "default_region": "US-CA"}
    )
    w["brand_id"] = brand["id"]
    w["storefront_key"] = admin.call(
        "POST", "/v1/keys", 201, {"name": "web", "scope": "storefront", "brand_id": brand["id"]}
    )["secret"]
    storefront = Api(base, w["storefront_key"], source)

    vendor = admin.call(
        "POST",
        "/v1/vendors/apply",
        201,
        {"slug": "greenhouse", "name": "Greenhouse", "contact_email": "sales@greenhouse.example"},
    )
    w["vendor_id"] = vendor["id"]
    approval = admin.call("POST", f"/v1/vendors/{vendor['id']}/approve", 200, {})
    w["vendor_key"] = approval["key"]["secret"]
    w["spare_vendor_key_id"] = admin.call(
        "POST", "/v1/keys", 201, {"name": "spare", "scope": "vendor", "vendor_id": vendor["id"]}
    )["key"]["id"]
    vendor_api = Api(base, w["vendor_key"], source)
    # A second vendor, pending, for the status changes (approve, reject,
    # suspend, reinstate) so the first keeps selling.
    w["spare_vendor_id"] = admin.call(
        "POST",
        "/v1/vendors/apply",
        201,
        {"slug": "applicant", "name": "Applicant", "contact_email": "hello@applicant.example"},
    )["id"]

    parent = admin.call("POST", "/v1/categories", 201, {"slug": "apparel", "name": "Apparel"})
    w["category_id"] = parent["id"]
    tees = admin.call("POST", "/v1/categories", 201, {"slug": "tees", "name": "Tees", "parent_id": parent["id"]})
    w["spare_category_id"] = admin.call("POST", "/v1/categories", 201, {"slug": "spare", "name": "Spare"})["id"]

    warehouse = vendor_api.call(
        "POST", "/v1/warehouses", 201, {"code": "LA-1", "name": "Los Angeles", "region": "US-CA"}
    )
    w["warehouse_id"] = warehouse["id"]

    def product(slug: str, title: str, variants: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        made = vendor_api.call(
            "POST",
            "/v1/products",
            201,
            {
                "slug": slug,
                "title": title,
                "description": f"{title}, seeded.",
                "status": "active",
                "variants": variants,
                **extra,
            },
        )
        for variant in made["variants"]:
            vendor_api.call(
                "POST",
                "/v1/inventory/movements",
                201,
                {"variant_id": variant["id"], "warehouse_id": warehouse["id"], "kind": "receive", "quantity": 100},
            )
        return made

    tee = product(
        "cotton-tee",
        "Organic Cotton Tee",
        [
            {"sku": "TEE-S", "title": "Small", "price": "30.00", "currency": "USD", "options": {"size": "S"}},
            {"sku": "TEE-M", "title": "Medium", "price": "32.00", "currency": "USD", "options": {"size": "M"}},
        ],
        attributes={"colour": "green"},
        category_id=tees["id"],
    )
    mug = product(
        "clay-mug", "Clay Mug", [{"sku": "MUG", "price": "12.00", "currency": "USD"}], attributes={"colour": "blue"}
    )
    # The product whose variant the delete operation targets: that variant is
    # in a cart (an open one and an ordered one).
    spare = product(
        "spare-socks",
        "Spare Socks",
        [
            {"sku": "SOCK-1", "price": "5.00", "currency": "USD"},
            {"sku": "SOCK-2", "price": "6.00", "currency": "USD"},
        ],
    )
    w["product_id"] = tee["id"]
    w["product_slug"] = tee["slug"]
    w["variant_id"] = tee["variants"][0]["id"]
    w["mug_id"] = mug["id"]
    w["spare_product_id"] = spare["id"]
    w["spare_variant_id"] = spare["variants"][0]["id"]
    listings = [
        vendor_api.call("POST", "/v1/listings", 201, {"brand_id": brand["id"], "product_id": p["id"]})
        for p in (tee, mug, spare)
    ]
    w["listing_id"] = listings[0]["id"]
    w["spare_listing_id"] = listings[2]["id"]
    vendor_api.call("PUT", "/v1/shipping-rates/US-CA/USD", 200, {"flat": "4.00", "per_item": "0.50"})

    # A guest's carts: one open (with two lines: one the line operations
    # keep, one that removing takes), one checked out into an order.
    def guest_cart(*variants: str) -> tuple[str, str, list[str]]:
        created = storefront.call("POST", "/v1/carts", 201, {"contact_email": f"guest-{run}@example.com"})
        cart_id, token = created["cart"]["id"], created["token"]
        lines: list[str] = []
        for variant in variants:
            view = storefront.call(
                "POST", f"/v1/carts/{cart_id}/lines", 200, {"variant_id": variant, "quantity": 1}, X_Cart_Token=token
            )
            lines = [line["id"] for line in view["lines"]]
        return cart_id, token, lines

    w["guest_cart_id"], w["guest_cart_token"], lines = guest_cart(tee["variants"][0]["id"], spare["variants"][0]["id"])
    w["guest_line_id"], w["guest_spare_line_id"] = lines
    w["guest_checkout_cart_id"], w["guest_checkout_cart_token"], _ = guest_cart(mug["variants"][0]["id"])
    w["guest_ordered_cart_id"], w["guest_ordered_cart_token"], _ = guest_cart(
        tee["variants"][1]["id"], spare["variants"][0]["id"]
    )
    w["guest_order_id"] = storefront.call(
        "POST",
        f"/v1/carts/{w['guest_ordered_cart_id']}/checkout",
        201,
        {"payment_token": "tok_success"},
        X_Cart_Token=w["guest_ordered_cart_token"],
        Idempotency_Key=str(uuid.uuid4()),
    )["id"]

    # The customer: signed in, an address (and a spare), a shared wishlist
    # (and a spare), an open cart with two lines, a cart for checking out,
    # and an order.
    def customer(name: str) -> tuple[str, str]:
        session = storefront.call(
            "POST",
            "/v1/customers",
            201,
            {
                "email": f"{name}-{run}@example.com",
                "password": PASSWORD,
                "name": name.title(),
                "date_of_birth": "1980-04-01",
            },
        )
        return session["customer"]["id"], session["token"]

    w["customer_id"], token = customer("shopper")
    w["customer_email"] = f"shopper-{run}@example.com"
    w["customer_token"] = token
    me = {"X_Customer_Token": token}
    address = {
        "name": "Sam Shopper",
        "line1": "1 Main St",
        "city": "Los Angeles",
        "postal_code": "90001",
        "region": "US-CA",
    }
    w["address_id"] = storefront.call("POST", "/v1/customers/me/addresses", 201, address, **me)["id"]
    w["spare_address_id"] = storefront.call("POST", "/v1/customers/me/addresses", 201, address, **me)["id"]
    wishlist = storefront.call("POST", "/v1/customers/me/wishlists", 201, {"name": "Later"}, **me)
    w["wishlist_id"] = wishlist["id"]
    storefront.call("PUT", f"/v1/customers/me/wishlists/{wishlist['id']}/products/{mug['id']}", 200, None, **me)
    shared = storefront.call("POST", f"/v1/customers/me/wishlists/{wishlist['id']}/share", 200, None, **me)
    w["share_token"] = shared["share_token"]
    w["spare_wishlist_id"] = storefront.call("POST", "/v1/customers/me/wishlists", 201, {"name": "Spare"}, **me)["id"]

    def customer_cart(*variants: str) -> tuple[str, list[str]]:
        cart_id = storefront.call("POST", "/v1/carts", 201, {}, **me)["cart"]["id"]
        lines: list[str] = []
        for variant in variants:
            view = storefront.call(
                "POST", f"/v1/carts/{cart_id}/lines", 200, {"variant_id": variant, "quantity": 1}, **me
            )
            lines = [line["id"] for line in view["lines"]]
        return cart_id, lines

    w["ordered_cart_id"], _ = customer_cart(tee["variants"][0]["id"], mug["variants"][0]["id"])
    w["order_id"] = storefront.call(
        "POST",
        f"/v1/carts/{w['ordered_cart_id']}/checkout",
        201,
        {"payment_token": "tok_success"},
        Idempotency_Key=str(uuid.uuid4()),
        **me,
    )["id"]
    w["checkout_cart_id"], _ = customer_cart(mug["variants"][0]["id"])
    w["cart_id"], lines = customer_cart(tee["variants"][1]["id"], spare["variants"][0]["id"])
    w["line_id"], w["spare_line_id"] = lines
    # Customers whose session the signing-out, password and erasing
    # operations take.
    for what in ("delete", "logout", "everywhere", "password", "erase"):
        w[f"{what}_customer_id"], w[f"{what}_customer_token"] = customer(what)

    parts = vendor_api.call("GET", "/v1/vendor-orders?status=pending", 200)["items"]
    by_order = {part["order_id"]: part["id"] for part in parts}
    # The customer's order's part, for packing and shipping.
    w["vendor_order_id"] = by_order[w["order_id"]]
    return w


def config(w: dict[str, Any], scope: str) -> dict[str, Any]:
    """schemathesis's configuration for one scope over the seeded tenant."""
    key = {
        "platform": w["platform_key"],
        "admin": w["admin_key"],
        "vendor": w["vendor_key"],
        "storefront": w["storefront_key"],
        "customer": w["storefront_key"],
    }[scope]
    customer = scope == "customer"
    # Path parameters by name, for every operation that has one.
    parameters: dict[str, Any] = {
        "path.tenant_id": w["tenant_id"],
        "path.brand_id": w["brand_id"],
        "path.vendor_id": w["vendor_id"],
        "path.key_id": w["spare_key_id"],
        "path.category_id": w["category_id"],
        "path.product_id": w["product_id"],
        "path.variant_id": w["variant_id"],
        "path.listing_id": w["listing_id"],
        "path.id_or_slug": w["product_slug"],
        "path.code": "US-CA",
        "path.region": "US-CA",
        "path.currency": "USD",
        "path.cart_id": w["cart_id"] if customer else w["guest_cart_id"],
        "path.line_id": w["line_id"] if customer else w["guest_line_id"],
        "path.order_id": w["order_id"] if customer else w["guest_order_id"],
        "path.vendor_order_id": w["vendor_order_id"],
        "path.customer_id": w["customer_id"],
        "path.address_id": w["address_id"],
        "path.wishlist_id": w["wishlist_id"],
        "path.share_token": w["share_token"],
    }
    # Values a request body or query names an object or a code by: drawn
    # from these (where the schema allows them) in most generated requests
    # and left to the generator in the rest, so creating a listing, moving
    # stock or signing in can succeed as well as be refused. The document
    # states slugs, codes and emails in prose, which random strings seldom
    # satisfy.
    dictionaries: dict[str, list[Any]] = {
        "vendor": [w["vendor_id"]],
        "brand": [w["brand_id"]],
        "product": [w["product_id"], w["mug_id"]],
        "variant": [w["variant_id"]],
        "warehouse": [w["warehouse_id"]],
        "category": [w["category_id"]],
        "slug": ["fuzz-a", "fuzz-b", "fuzz-c", "cotton-tee"],
        "region": ["US-CA", "US-NY"],
        "currency": ["USD"],
        "email": [w["customer_email"], "someone@example.com"],
        "password": [PASSWORD],
    }
    bindings = {
        "body.vendor_id": "vendor",
        "query.vendor_id": "vendor",
        "body.brand_id": "brand",
        "query.brand_id": "brand",
        "body.product_id": "product",
        "body.variant_id": "variant",
        "query.variant_id": "variant",
        "body.warehouse_id": "warehouse",
        "body.category_id": "category",
        "body.parent_id": "category",
        "body.slug": "slug",
        "body.region": "region",
        "body.default_region": "region",
        "body.regions[*]": "region",
        "body.regions_served[*]": "region",
        "body.currency": "currency",
        "body.email": "email",
        "body.contact_email": "email",
        "body.password": "password",
        "body.current_password": "password",
    }
    for name, dictionary in bindings.items():
        parameters[name] = {"dictionary": dictionary, "probability": 0.75}
    if customer:
        parameters["header.X-Customer-Token"] = w["customer_token"]
    elif scope == "storefront":
        parameters["header.X-Cart-Token"] = w["guest_cart_token"]

    # Operations that destroy or use up their target, pointed at a spare.
    spare: dict[str, dict[str, Any]] = {
        "revoke_tenant_key": {"path.key_id": w["spare_tenant_key_id"]},
        "revoke_platform_key": {"path.key_id": w["spare_platform_key_id"]},
        "approve_vendor": {"path.vendor_id": w["spare_vendor_id"]},
        "reject_vendor": {"path.vendor_id": w["spare_vendor_id"]},
        "suspend_vendor": {"path.vendor_id": w["spare_vendor_id"]},
        "reinstate_vendor": {"path.vendor_id": w["spare_vendor_id"]},
        "delete_category": {"path.category_id": w["spare_category_id"]},
        "delete_listing": {"path.listing_id": w["spare_listing_id"]},
        "delete_variant": {"path.product_id": w["spare_product_id"], "path.variant_id": w["spare_variant_id"]},
        "erase_customer": {"path.customer_id": w["erase_customer_id"]},
        "remove_address": {"path.address_id": w["spare_address_id"]},
        "delete_wishlist": {"path.wishlist_id": w["spare_wishlist_id"]},
        "remove_cart_line": {"path.line_id": w["spare_line_id"] if customer else w["guest_spare_line_id"]},
        "checkout_cart": {"path.cart_id": w["checkout_cart_id"] if customer else w["guest_checkout_cart_id"]},
    }
    if customer:
        # Signing out, changing the password and deleting the account end
        # the session they are sent with: each gets a customer of its own.
        spare["delete_me"] = {"header.X-Customer-Token": w["delete_customer_token"]}
        spare["logout_customer"] = {"header.X-Customer-Token": w["logout_customer_token"]}
        spare["logout_customer_everywhere"] = {"header.X-Customer-Token": w["everywhere_customer_token"]}
        spare["change_password"] = {"header.X-Customer-Token": w["password_customer_token"]}
    if scope == "storefront":
        # A guest's carts open with their own tokens: the checked-out one's
        # for its order.
        spare["checkout_cart"]["header.X-Cart-Token"] = w["guest_checkout_cart_token"]
        spare["get_order"] = {"header.X-Cart-Token": w["guest_ordered_cart_token"]}
    if scope == "vendor":
        parameters["path.key_id"] = w["spare_vendor_key_id"]
    # A stateful sequence creates an object and follows a link to destroy
    # it, but a destructive operation pinned to a spare never sees the
    # link's object: once the spare is gone its 404 is right, yet
    # ensure_resource_availability would read it as "created, then not
    # found". That one check is off for the pinned operations; every other
    # check still runs on them, in every phase.
    operations = [
        {
            "include-operation-id": op,
            "parameters": values,
            "checks": {"ensure_resource_availability": {"enabled": False}},
        }
        for op, values in spare.items()
    ]
    # The checks scripts/fuzz names, chosen here rather than with `--checks`:
    # a command-line choice overrides every operation's own, and the
    # operations pinned to a spare turn one check off for themselves.
    wanted = [c for c in os.environ.get("FUZZ_CHECKS", "").split(",") if c]
    if not wanted:
        sys.exit("seed.py: set FUZZ_CHECKS to the checks to run (scripts/fuzz does)")
    checks: dict[str, Any] = {name: {"enabled": name in wanted} for name in sorted(set(BUILTIN_CHECKS) | set(wanted))}
    return {
        # Nothing carried over from an earlier run.
        "cache": {"enabled": False},
        "checks": checks,
        "auth": {"openapi": {"ApiKey": {"bearer": key}}},
        "dictionaries": {name: {"values": values} for name, values in dictionaries.items()},
        "parameters": parameters,
        "operations": operations,
    }


# Schemathesis's own checks: those scripts/fuzz does not name are off.
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
    "missing_required_header",
    "ignored_auth",
    "object_level_authorization",
    "unsupported_method",
    "allow_header_conformance",
)


def toml(value: Any, path: str = "") -> str:
    """The little TOML the configuration needs: tables, arrays of tables,
    strings, integers and booleans."""

    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        raise TypeError(f"no TOML for {v!r}")

    def key(k: str) -> str:
        return k if k.replace("-", "").replace("_", "").isalnum() else json.dumps(k)

    lines: list[str] = []
    tables: list[str] = []
    for k, v in value.items():
        name = f"{path}.{key(k)}" if path else key(k)
        if isinstance(v, dict):
            tables.append(f"\n[{name}]\n" + toml(v, name))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                tables.append(f"\n[[{name}]]\n" + toml(item, name))
        else:
            lines.append(f"{key(k)} = {scalar(v)}\n")
    return "".join(lines) + "".join(tables)


def main() -> None:
    if len(sys.argv) != 5 or sys.argv[3] not in SCOPES:
        sys.exit(f"usage: seed.py <base URL> <platform key> <{'|'.join(SCOPES)}> <config.toml>")
    base, platform_key, scope, out = sys.argv[1:]
    try:
        world = seed(base.rstrip("/"), platform_key, scope)
    except SeedError as error:
        sys.exit(f"seeding the {scope} tenant failed: {error}")
    with open(out, "w") as file:
        file.write(toml(config(world, scope)))


if __name__ == "__main__":
    main()
