//! What an API key may do.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;

/// The scope of an API key, from strongest to weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Operates the deployment: creates tenants, sees all of them.
    Platform,
    /// Administers one tenant: brands, vendors, keys.
    TenantAdmin,
    /// Acts for one vendor of one tenant.
    Vendor,
    /// A brand's publishable storefront key: reads that brand's catalog.
    Storefront,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::Platform,
        Scope::TenantAdmin,
        Scope::Vendor,
        Scope::Storefront,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Platform => "platform",
            Scope::TenantAdmin => "tenant_admin",
            Scope::Vendor => "vendor",
            Scope::Storefront => "storefront",
        }
    }

    /// The prefix of a key's secret, so a leaked key is recognisable
    /// (secret scanners, logs) and its scope visible at a glance.
    pub fn key_prefix(self) -> &'static str {
        match self {
            Scope::Platform => "bz_pl_",
            Scope::TenantAdmin => "bz_ta_",
            Scope::Vendor => "bz_vn_",
            Scope::Storefront => "bz_sf_",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "invalid_scope",
                    format!(
                        "unknown scope `{s}`; expected one of platform, tenant_admin, vendor, storefront"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_names() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!(
            "admin".parse::<Scope>().map_err(|e| e.code),
            Err("invalid_scope")
        );
    }
}
