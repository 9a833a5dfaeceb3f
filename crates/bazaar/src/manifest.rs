//! `bazaar tenant apply`: a tenant described in YAML (its brands, vendors
//! and regions) made true in the database. Applying is idempotent: objects
//! are matched by slug, created when missing, updated when they differ and
//! left alone when they match; objects absent from the file are kept (a
//! manifest never deletes a vendor with orders).

use std::fmt;
use std::path::Path;

use bazaar_commerce::Failure;
use bazaar_commerce::tenants::{self, TenantRefusal};
use bazaar_domain::{Currency, Scope, Slug, ids, validate};
use bazaar_store::control::keys::{self, NewKey};
use bazaar_store::control::tenants::{NewTenant, find_by_slug};
use bazaar_store::tenant::brands::{self, BrandChanges, NewBrand};
use bazaar_store::tenant::vendors::{self, NewVendor, VendorChanges};
use bazaar_store::{Db, StoreError};
use futures_util::FutureExt;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub tenant: TenantSpec,
    #[serde(default)]
    pub brands: Vec<BrandSpec>,
    #[serde(default)]
    pub vendors: Vec<VendorSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandSpec {
    pub slug: String,
    pub name: String,
    pub currency: String,
    #[serde(default)]
    pub default_region: Option<String>,
    #[serde(default)]
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSpec {
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    #[serde(default = "approved")]
    pub status: String,
}

fn approved() -> String {
    "approved".to_owned()
}

const VENDOR_STATUSES: [&str; 4] = ["pending", "approved", "rejected", "suspended"];

/// What applying did to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: &'static str,
    pub slug: String,
    pub action: Action,
    /// The key issued for it by this apply: its secret is shown here once.
    pub key: Option<ManifestKey>,
}

/// A key `apply` issued because the tenant, brand or vendor had none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestKey {
    pub scope: Scope,
    pub secret: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
        };
        write!(f, "{} {}: {action}", self.kind, self.slug)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path} is invalid:\n  {}", problems.join("\n  "))]
    Invalid { path: String, problems: Vec<String> },
    #[error("applying the manifest failed: {0}")]
    Store(#[from] StoreError),
    #[error("applying the manifest failed: {0}")]
    Refused(#[from] TenantRefusal),
    #[error("applying the manifest failed: {0}")]
    Internal(String),
}

impl From<Failure<TenantRefusal>> for ManifestError {
    fn from(failure: Failure<TenantRefusal>) -> Self {
        match failure {
            Failure::Refused(refusal) => refusal.into(),
            Failure::Store(err) => err.into(),
            Failure::Internal(cause) => ManifestError::Internal(cause),
        }
    }
}

impl Manifest {
    /// Read, parse and validate a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = serde_yaml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let problems = manifest.problems();
        if problems.is_empty() {
            Ok(manifest)
        } else {
            Err(ManifestError::Invalid {
                path: path.to_owned(),
                problems,
            })
        }
    }

    /// Every problem in the manifest, each prefixed with where it is.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |at: String, result: Result<(), bazaar_domain::DomainError>| {
            if let Err(e) = result {
                out.push(format!("{at}: {}", e.message));
            }
        };
        check(
            "tenant.slug".into(),
            Slug::parse(&self.tenant.slug).map(drop),
        );
        check(
            "tenant.name".into(),
            validate::display_name("name", &self.tenant.name).map(drop),
        );
        for (i, region) in self.tenant.regions.iter().enumerate() {
            check(
                format!("tenant.regions[{i}]"),
                validate::region_code(region),
            );
        }
        let mut seen = Vec::new();
        for (i, brand) in self.brands.iter().enumerate() {
            let at = |field: &str| format!("brands[{i}].{field}");
            check(at("slug"), Slug::parse(&brand.slug).map(drop));
            check(
                at("name"),
                validate::display_name("name", &brand.name).map(drop),
            );
            check(at("currency"), Currency::parse(&brand.currency).map(drop));
            for (j, domain) in brand.domains.iter().enumerate() {
                check(
                    format!("brands[{i}].domains[{j}]"),
                    validate::hostname(domain),
                );
            }
            if let Some(region) = &brand.default_region
                && !self.tenant.regions.contains(region)
            {
                check(
                    at("default_region"),
                    Err(bazaar_domain::DomainError::new(
                        "region_not_enabled",
                        format!("`{region}` is not one of tenant.regions"),
                    )),
                );
            }
            if seen.contains(&&brand.slug) {
                check(
                    at("slug"),
                    Err(bazaar_domain::DomainError::new(
                        "duplicate",
                        format!("`{}` appears twice", brand.slug),
                    )),
                );
            }
            seen.push(&brand.slug);
        }
        let mut seen = Vec::new();
        for (i, vendor) in self.vendors.iter().enumerate() {
            let at = |field: &str| format!("vendors[{i}].{field}");
            check(at("slug"), Slug::parse(&vendor.slug).map(drop));
            check(
                at("name"),
                validate::display_name("name", &vendor.name).map(drop),
            );
            check(at("contact_email"), validate::email(&vendor.contact_email));
            if !VENDOR_STATUSES.contains(&vendor.status.as_str()) {
                check(
                    at("status"),
                    Err(bazaar_domain::DomainError::new(
                        "invalid_status",
                        format!(
                            "`{}` is not a vendor status; use one of {}",
                            vendor.status,
                            VENDOR_STATUSES.join(", ")
                        ),
                    )),
                );
            }
            if seen.contains(&&vendor.slug) {
                check(
                    at("slug"),
                    Err(bazaar_domain::DomainError::new(
                        "duplicate",
                        format!("`{}` appears twice", vendor.slug),
                    )),
                );
            }
            seen.push(&vendor.slug);
        }
        out
    }

    /// Refuse regions with no pack in force.
    pub fn check_regions(&self, set: &bazaar_regions::RegionSet) -> Result<(), ManifestError> {
        let problems: Vec<String> = self
            .tenant
            .regions
            .iter()
            .enumerate()
            .filter(|(_, code)| set.get(code).is_none())
            .map(|(i, code)| format!("tenant.regions[{i}]: no region pack for `{code}`"))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ManifestError::Invalid {
                path: "manifest".into(),
                problems,
            })
        }
    }

    /// Make the database match the manifest; returns what changed.
    pub async fn apply(&self, db: &Db) -> Result<Vec<Change>, ManifestError> {
        let mut changes = Vec::new();
        let spec = &self.tenant;
        let tenant = match find_by_slug(db, &spec.slug).await? {
            None => {
                let slug = Slug::parse(&spec.slug).map_err(|e| self.invalid(e))?;
                let created = tenants::provision(
                    db,
                    NewTenant {
                        slug,
                        name: spec.name.clone(),
                        regions: spec.regions.clone(),
                    },
                )
                .await?;
                changes.push(change("tenant", &spec.slug, Action::Created));
                created
            }
            Some(existing) if existing.name == spec.name && existing.regions == spec.regions => {
                changes.push(change("tenant", &spec.slug, Action::Unchanged));
                existing
            }
            Some(existing) => {
                let updated = tenants::change(
                    db,
                    existing.id,
                    Some(spec.name.clone()),
                    Some(spec.regions.clone()),
                )
                .await?;
                changes.push(change("tenant", &spec.slug, Action::Updated));
                updated
            }
        };
        // Checked when the manifest was read; parsed here so the rows get
        // the domain's type.
        let brands_spec = self
            .brands
            .iter()
            .map(|b| {
                Currency::parse(&b.currency)
                    .map(|c| (b.clone(), c))
                    .map_err(|e| ManifestError::Internal(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let vendors_spec = self.vendors.clone();
        let inner = db
            .tenant_tx(&tenant.schema()?, move |conn| {
                async move {
                    let mut changes = Vec::new();
                    // (kind, slug, id) of every brand and vendor, for their keys.
                    let mut bound = Vec::new();
                    let mut vendors_touched = Vec::new();
                    for (spec, currency) in brands_spec {
                        let (action, id) = match brands::find_by_slug(conn, &spec.slug).await? {
                            None => {
                                let brand = brands::create(
                                    conn,
                                    NewBrand {
                                        id: ids::new_id(),
                                        slug: spec.slug.clone(),
                                        name: spec.name,
                                        default_region: spec.default_region,
                                        currency,
                                        domains: spec.domains,
                                    },
                                )
                                .await?;
                                (Action::Created, brand.id)
                            }
                            Some(existing) => {
                                let diff = BrandChanges {
                                    slug: None,
                                    name: differs(&existing.name, spec.name),
                                    default_region: differs(
                                        &existing.default_region,
                                        spec.default_region,
                                    ),
                                    currency: differs(&existing.currency, currency),
                                    domains: differs(&existing.domains, spec.domains),
                                };
                                if diff.is_empty() {
                                    (Action::Unchanged, existing.id)
                                } else {
                                    brands::update(conn, existing.id, diff).await?;
                                    (Action::Updated, existing.id)
                                }
                            }
                        };
                        bound.push((Scope::Storefront, spec.slug.clone(), id));
                        changes.push(change("brand", &spec.slug, action));
                    }
                    for spec in vendors_spec {
                        let (action, id) = match vendors::find_by_slug(conn, &spec.slug).await? {
                            None => {
                                let vendor = vendors::create(
                                    conn,
                                    NewVendor {
                                        id: ids::new_id(),
                                        slug: spec.slug.clone(),
                                        name: spec.name,
                                        contact_email: spec.contact_email,
                                        status: spec.status,
                                        description: String::new(),
                                        regions_served: Vec::new(),
                                        payout_reference: None,
                                    },
                                    "manifest",
                                )
                                .await?;
                                (Action::Created, vendor.id)
                            }
                            Some(existing) => {
                                let diff = VendorChanges {
                                    name: differs(&existing.name, spec.name),
                                    contact_email: differs(
                                        &existing.contact_email,
                                        spec.contact_email,
                                    ),
                                    status: differs(&existing.status, spec.status),
                                    ..Default::default()
                                };
                                if diff.is_empty() {
                                    (Action::Unchanged, existing.id)
                                } else {
                                    if let Some(status) = &diff.status {
                                        vendors::record(
                                            conn,
                                            existing.id,
                                            Some(&existing.status),
                                            status,
                                            Some("changed by tenant manifest"),
                                            "manifest",
                                        )
                                        .await?;
                                    }
                                    vendors::update(conn, existing.id, diff).await?;
                                    vendors_touched.push(existing.id);
                                    (Action::Updated, existing.id)
                                }
                            }
                        };
                        bound.push((Scope::Vendor, spec.slug.clone(), id));
                        changes.push(change("vendor", &spec.slug, action));
                    }
                    for id in vendors_touched {
                        bazaar_store::tenant::listings::refresh(
                            conn,
                            bazaar_store::tenant::listings::Refresh::Vendor(id),
                        )
                        .await?;
                    }
                    Ok((changes, bound))
                }
                .boxed()
            })
            .await?;
        let (inner, bound) = inner;
        changes.extend(inner);
        self.issue_missing_keys(db, tenant.id, &mut changes, bound)
            .await?;
        Ok(changes)
    }

    /// Issue a key to the tenant (tenant admin), each brand (storefront)
    /// and each vendor that has no unrevoked key of that kind, attaching
    /// each secret to its change so it is shown once. Keyed on "has none"
    /// rather than "was just created", so an apply that stopped between
    /// creating a row and issuing its key issues it on the next run.
    async fn issue_missing_keys(
        &self,
        db: &Db,
        tenant_id: uuid::Uuid,
        changes: &mut [Change],
        bound: Vec<(Scope, String, uuid::Uuid)>,
    ) -> Result<(), ManifestError> {
        let active = keys::active_bindings(db, tenant_id).await?;
        let has = |scope: Scope, vendor: Option<uuid::Uuid>, brand: Option<uuid::Uuid>| {
            active
                .iter()
                .any(|(s, v, b)| s == scope.as_str() && *v == vendor && *b == brand)
        };
        let mut wanted = Vec::new();
        if !has(Scope::TenantAdmin, None, None) {
            wanted.push((
                "tenant",
                self.tenant.slug.clone(),
                Scope::TenantAdmin,
                None,
                None,
            ));
        }
        for (scope, slug, id) in bound {
            let (kind, vendor, brand) = match scope {
                Scope::Vendor => ("vendor", Some(id), None),
                _ => ("brand", None, Some(id)),
            };
            if !has(scope, vendor, brand) {
                wanted.push((kind, slug, scope, vendor, brand));
            }
        }
        for (kind, slug, scope, vendor_id, brand_id) in wanted {
            let (_, secret) = keys::create(
                db,
                NewKey {
                    tenant_id: Some(tenant_id),
                    scope,
                    vendor_id,
                    brand_id,
                    name: format!("{slug} ({}, from the manifest)", scope.as_str()),
                },
            )
            .await?;
            if let Some(change) = changes
                .iter_mut()
                .find(|c| c.kind == kind && c.slug == slug)
            {
                change.key = Some(ManifestKey { scope, secret });
            }
        }
        Ok(())
    }

    fn invalid(&self, err: bazaar_domain::DomainError) -> ManifestError {
        ManifestError::Invalid {
            path: "manifest".into(),
            problems: vec![err.message],
        }
    }
}

fn change(kind: &'static str, slug: &str, action: Action) -> Change {
    Change {
        kind,
        slug: slug.to_owned(),
        action,
        key: None,
    }
}

/// `Some(wanted)` when it differs from what is stored.
fn differs<T: PartialEq>(current: &T, wanted: T) -> Option<T> {
    (*current != wanted).then_some(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_manifests_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("tenants/ exists") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let manifest = Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
                assert!(!manifest.vendors.is_empty(), "{}", path.display());
                count += 1;
            }
        }
        assert!(count >= 2, "ship at least two manifests");
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text = "tenant: {slug: Bad_Slug, name: x, regions: [us-ca]}\n\
                    brands: [{slug: b1, name: B, currency: usd, default_region: US-NY}]\n\
                    vendors: [{slug: v1, name: V, contact_email: nope, status: gone}]\n";
        let Err(ManifestError::Invalid { problems, .. }) = Manifest::parse(text, "t.yaml") else {
            panic!("expected invalid");
        };
        let places: Vec<&str> = problems
            .iter()
            .map(|p| p.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(
            places,
            [
                "tenant.slug",
                "tenant.regions[0]",
                "brands[0].currency",
                "brands[0].default_region",
                "vendors[0].contact_email",
                "vendors[0].status"
            ]
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Manifest::parse("tenant: {slug: ab, name: x, region: [US]}\n", "t.yaml")
            .expect_err("unknown key");
        assert!(err.to_string().contains("unknown field `region`"), "{err}");
    }
}
