// What `GET /demo/config.json` hands the demo: the tenant's storefronts with
// their publishable keys and its vendors with their keys (a local sandbox
// only: a real storefront never sees a vendor's or an admin's secret).

/** One brand the demo can shop in. */
export interface DemoStorefront {
  brand_id: string;
  name: string;
  region: string;
  publishable_key: string;
}

/** One vendor whose back office the demo opens at `#/vendor`. */
export interface DemoVendor {
  vendor_id: string;
  name: string;
  key: string;
}

/**
 * The stand-in for an ID-check provider: a tenant admin key that records
 * an age verification for the signed-in shopper (absent: the shop verifies
 * ages out of band and the demo says so).
 */
export interface DemoAgeChecker {
  name: string;
  key: string;
}

export interface DemoConfig {
  tenant: string;
  storefronts: DemoStorefront[];
  vendors: DemoVendor[];
  age_checker?: DemoAgeChecker;
}
