//! The document mapping: the only module that knows the index's field names.
//! It builds the schema, turns a [`ListingDoc`] into a tantivy document, and
//! makes the terms and facets the query builder filters on.

use chrono::{DateTime, Utc};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TantivyDocument, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Document as _, Term};
use uuid::Uuid;

use crate::SearchError;
use crate::text::ANALYZER;

/// One listing: a product as shown in one brand (prices differ per brand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingDoc {
    pub tenant_id: Uuid,
    pub brand_id: Uuid,
    pub listing_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub title: String,
    pub description: String,
    /// Category slugs from the root, joined by '/': "clothing/shirts/tees".
    pub category_path: Option<String>,
    /// Variant options such as ("color", "red").
    pub attributes: Vec<(String, String)>,
    /// Lowest variant price, in minor units of `currency`.
    pub price_minor: i64,
    pub currency: String,
    pub in_stock: bool,
    pub created_at: DateTime<Utc>,
}

const TENANT_ID: &str = "tenant_id";
const BRAND_ID: &str = "brand_id";
const LISTING_ID: &str = "listing_id";
const PRODUCT_ID: &str = "product_id";
const VENDOR_ID: &str = "vendor_id";
const VENDOR_NAME: &str = "vendor_name";
const TITLE: &str = "title";
const DESCRIPTION: &str = "description";
const CURRENCY: &str = "currency";
const IN_STOCK: &str = "in_stock";
/// The field the index is sorted by: see [`Fields::schema`].
pub(crate) const TENANT_KEY: &str = "tenant_key";
pub(crate) const CATEGORY: &str = "category";
pub(crate) const ATTRIBUTES: &str = "attributes";
pub(crate) const VENDOR: &str = "vendor";
pub(crate) const PRICE_MINOR: &str = "price_minor";
pub(crate) const CREATED_AT_MICROS: &str = "created_at_micros";

/// Deepest category path indexed or filtered on.
const MAX_CATEGORY_DEPTH: usize = 16;

/// Handles of the schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    tenant_id: Field,
    brand_id: Field,
    listing_id: Field,
    product_id: Field,
    vendor_id: Field,
    pub(crate) vendor_name: Field,
    pub(crate) title: Field,
    pub(crate) description: Field,
    category: Field,
    attributes: Field,
    vendor: Field,
    price_minor: Field,
    currency: Field,
    in_stock: Field,
    created_at_micros: Field,
    tenant_key: Field,
}

impl Fields {
    /// The schema every generation of the index is created with, and its fields.
    ///
    /// The index is sorted by [`TENANT_KEY`] so that each tenant's (and
    /// brand's) listings sit side by side in every segment. Every query is
    /// scoped to one tenant, and the text clauses are unions over all
    /// tenants' postings: with the tenant's documents contiguous, the union
    /// skips the other tenants' blocks instead of scoring them.
    pub(crate) fn schema() -> (Schema, Fields) {
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let mut builder = Schema::builder();
        let fields = Fields {
            tenant_id: builder.add_text_field(TENANT_ID, STRING),
            brand_id: builder.add_text_field(BRAND_ID, STRING),
            listing_id: builder.add_text_field(LISTING_ID, STRING | STORED),
            product_id: builder.add_text_field(PRODUCT_ID, STRING | STORED),
            vendor_id: builder.add_text_field(VENDOR_ID, STRING),
            vendor_name: builder.add_text_field(VENDOR_NAME, text.clone()),
            title: builder.add_text_field(TITLE, text.clone() | STORED),
            description: builder.add_text_field(DESCRIPTION, text | STORED),
            category: builder.add_facet_field(CATEGORY, FacetOptions::default()),
            attributes: builder.add_facet_field(ATTRIBUTES, FacetOptions::default()),
            vendor: builder.add_facet_field(VENDOR, FacetOptions::default()),
            price_minor: builder.add_i64_field(PRICE_MINOR, INDEXED | FAST),
            currency: builder.add_text_field(CURRENCY, STRING),
            in_stock: builder.add_bool_field(IN_STOCK, INDEXED),
            created_at_micros: builder.add_i64_field(CREATED_AT_MICROS, INDEXED | FAST),
            tenant_key: builder.add_u64_field(TENANT_KEY, FAST),
        };
        (builder.build(), fields)
    }

    /// Maps a listing to its tantivy document.
    pub(crate) fn document(&self, listing: &ListingDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(self.tenant_id, id_text(listing.tenant_id));
        doc.add_text(self.brand_id, id_text(listing.brand_id));
        doc.add_text(self.listing_id, id_text(listing.listing_id));
        doc.add_text(self.product_id, id_text(listing.product_id));
        doc.add_text(self.vendor_id, id_text(listing.vendor_id));
        doc.add_text(self.vendor_name, &listing.vendor_name);
        doc.add_text(self.title, &listing.title);
        doc.add_text(self.description, &listing.description);
        if let Some(category) = listing.category_path.as_deref().and_then(category_facet) {
            doc.add_facet(self.category, category);
        }
        for (name, value) in &listing.attributes {
            if let Some(attribute) = attribute_facet(name, value) {
                doc.add_facet(self.attributes, attribute);
            }
        }
        doc.add_facet(self.vendor, Facet::from_path([id_text(listing.vendor_id)]));
        doc.add_i64(self.price_minor, listing.price_minor);
        doc.add_text(self.currency, &listing.currency);
        doc.add_bool(self.in_stock, listing.in_stock);
        doc.add_i64(
            self.created_at_micros,
            listing.created_at.timestamp_micros(),
        );
        doc.add_u64(
            self.tenant_key,
            tenant_key(listing.tenant_id, listing.brand_id),
        );
        doc
    }

    pub(crate) fn tenant_term(&self, tenant_id: Uuid) -> Term {
        Term::from_field_text(self.tenant_id, &id_text(tenant_id))
    }

    pub(crate) fn brand_term(&self, brand_id: Uuid) -> Term {
        Term::from_field_text(self.brand_id, &id_text(brand_id))
    }

    pub(crate) fn listing_term(&self, listing_id: Uuid) -> Term {
        Term::from_field_text(self.listing_id, &id_text(listing_id))
    }

    pub(crate) fn product_term(&self, product_id: Uuid) -> Term {
        Term::from_field_text(self.product_id, &id_text(product_id))
    }

    pub(crate) fn vendor_term(&self, vendor_id: Uuid) -> Term {
        Term::from_field_text(self.vendor_id, &id_text(vendor_id))
    }

    pub(crate) fn in_stock_term(&self) -> Term {
        Term::from_field_bool(self.in_stock, true)
    }

    pub(crate) fn price_term(&self, price_minor: i64) -> Term {
        Term::from_field_i64(self.price_minor, price_minor)
    }

    /// Matches the category and everything below it.
    pub(crate) fn category_term(&self, category: &Facet) -> Term {
        Term::from_facet(self.category, category)
    }

    pub(crate) fn attribute_term(&self, attribute: &Facet) -> Term {
        Term::from_facet(self.attributes, attribute)
    }

    /// Reads what a hit shows from a stored document.
    pub(crate) fn stored(&self, doc: &TantivyDocument) -> Result<StoredListing, SearchError> {
        Ok(StoredListing {
            listing_id: stored_id(doc, self.listing_id, LISTING_ID)?,
            product_id: stored_id(doc, self.product_id, PRODUCT_ID)?,
            title: stored_text(doc, self.title),
            description: stored_text(doc, self.description),
        })
    }
}

/// The stored part of a listing, read back for a hit.
#[derive(Debug)]
pub(crate) struct StoredListing {
    pub(crate) listing_id: Uuid,
    pub(crate) product_id: Uuid,
    pub(crate) title: String,
    pub(crate) description: String,
}

/// The facet of a category path ("clothing/shirts" -> `/clothing/shirts`),
/// or `None` when the path has no segment.
pub(crate) fn category_facet(path: &str) -> Option<Facet> {
    let segments: Vec<String> = path
        .split('/')
        .map(normalize_segment)
        .filter(|segment| !segment.is_empty())
        .take(MAX_CATEGORY_DEPTH)
        .collect();
    (!segments.is_empty()).then(|| Facet::from_path(segments))
}

/// The facet of an attribute (("Color", "Red") -> `/color/red`), or `None`
/// when the name or the value is blank.
pub(crate) fn attribute_facet(name: &str, value: &str) -> Option<Facet> {
    let (name, value) = (normalize_segment(name), normalize_segment(value));
    (!name.is_empty() && !value.is_empty()).then(|| Facet::from_path([name, value]))
}

/// A facet's path as the API shows it: segments joined by '/', no leading '/'.
pub(crate) fn facet_path(facet: &Facet) -> String {
    facet.to_path().join("/")
}

/// The id a vendor facet stands for.
pub(crate) fn vendor_of_facet(facet: &Facet) -> Option<Uuid> {
    facet
        .to_path()
        .last()
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// Facet segments compare case-insensitively and cannot hold tantivy's
/// separator byte.
fn normalize_segment(segment: &str) -> String {
    segment.trim().replace('\0', "").to_lowercase()
}

/// The sort key of a tenant's brand: the tenant in the high half, so a
/// tenant's brands are neighbours too. Two tenants sharing a half only
/// interleave their listings, which costs speed, never correctness.
fn tenant_key(tenant_id: Uuid, brand_id: Uuid) -> u64 {
    (fold_to_u32(tenant_id) << 32) | fold_to_u32(brand_id)
}

fn fold_to_u32(id: Uuid) -> u64 {
    let (high, low) = id.as_u64_pair();
    let folded = high ^ low;
    (folded ^ (folded >> 32)) & u64::from(u32::MAX)
}

fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

fn stored_id(doc: &TantivyDocument, field: Field, name: &'static str) -> Result<Uuid, SearchError> {
    doc.get_first(field)
        .and_then(|value| value.as_str())
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or(SearchError::CorruptDocument(name))
}

fn stored_text(doc: &TantivyDocument, field: Field) -> String {
    let mut text = String::new();
    for (value_field, value) in doc.iter_fields_and_values() {
        if value_field == field
            && let Some(part) = value.as_str()
        {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(part);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_paths_are_normalized() {
        let facet = category_facet(" Clothing//Shirts/tees/ ").map(|f| facet_path(&f));
        assert_eq!(facet.as_deref(), Some("clothing/shirts/tees"));
        assert!(category_facet("").is_none());
        assert!(category_facet("///").is_none());
    }

    #[test]
    fn attributes_need_a_name_and_a_value() {
        let facet = attribute_facet("Color", " Red").map(|f| facet_path(&f));
        assert_eq!(facet.as_deref(), Some("color/red"));
        assert!(attribute_facet("color", " ").is_none());
        assert!(attribute_facet("", "red").is_none());
    }

    #[test]
    fn a_tenants_brands_sort_next_to_each_other() {
        let tenant = Uuid::new_v4();
        let (a, b) = (
            tenant_key(tenant, Uuid::new_v4()),
            tenant_key(tenant, Uuid::new_v4()),
        );
        assert_eq!(a >> 32, b >> 32);
    }

    #[test]
    fn separators_inside_segments_stay_inside_them() {
        let facet = attribute_facet("size", "10/12").map(|f| f.to_path().len());
        assert_eq!(facet, Some(2));
        let nul = attribute_facet("size\0x", "m").map(|f| facet_path(&f));
        assert_eq!(nul.as_deref(), Some("sizex/m"));
    }
}
