//! A browse's parameters as a shopper's client sends them: price and
//! attribute filters as text (shared with search), and the opaque cursor
//! a browse page hands out for the next one.

use std::str::FromStr;

use bazaar_store::tenant::listings::{After, Sort};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::BrowseRefusal;

/// A price filter (`min_price`, `max_price`): a non-negative decimal such
/// as `10.00`.
pub fn price_filter(raw: Option<String>, field: &str) -> Result<Option<Decimal>, BrowseRefusal> {
    raw.map(|r| {
        Decimal::from_str(r.trim())
            .ok()
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| BrowseRefusal::InvalidPrice {
                field: field.to_owned(),
            })
    })
    .transpose()
}

/// Attribute filters, `name:value` each, as (name, value) pairs.
pub fn attribute_pairs(raw: Vec<String>) -> Result<Vec<(String, String)>, BrowseRefusal> {
    raw.into_iter()
        .map(|pair| match pair.split_once(':') {
            Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
            None => Err(BrowseRefusal::InvalidAttribute { pair }),
        })
        .collect()
}

/// Attribute filters as the JSON object a product's attributes must
/// contain: `true`/`false` as booleans, numbers as numbers, else strings.
pub(super) fn attribute_filter(
    raw: Vec<String>,
) -> Result<Option<serde_json::Value>, BrowseRefusal> {
    if raw.is_empty() {
        return Ok(None);
    }
    let mut map = serde_json::Map::new();
    for (name, value) in attribute_pairs(raw)? {
        let value = match value.as_str() {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            v => v
                .parse::<serde_json::Number>()
                .map(serde_json::Value::Number)
                .unwrap_or_else(|_| serde_json::Value::String(v.to_owned())),
        };
        map.insert(name, value);
    }
    Ok(Some(serde_json::Value::Object(map)))
}

/// The cursor of the page after `after`: the sort's key, hex-encoded.
pub(super) fn encode_cursor(after: &After) -> String {
    let raw = match after {
        After::Newest(at, id) => format!("n|{}|{id}", at.to_rfc3339()),
        After::Price(p, id) => format!("p|{p}|{id}"),
        After::Title(t, id) => format!("t|{t}|{id}"),
    };
    hex::encode(raw)
}

/// A cursor this browse gave out, for the same sort.
pub(super) fn decode_cursor(raw: &str, sort: Sort) -> Result<After, BrowseRefusal> {
    let invalid = || BrowseRefusal::InvalidCursor;
    let text =
        String::from_utf8(hex::decode(raw).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let (kind, rest) = text.split_once('|').ok_or_else(invalid)?;
    let (value, id) = rest.rsplit_once('|').ok_or_else(invalid)?;
    let id = Uuid::from_str(id).map_err(|_| invalid())?;
    match (kind, sort) {
        ("n", Sort::Newest) => Ok(After::Newest(
            DateTime::parse_from_rfc3339(value)
                .map_err(|_| invalid())?
                .with_timezone(&Utc),
            id,
        )),
        ("p", Sort::PriceAsc | Sort::PriceDesc) => Ok(After::Price(
            Decimal::from_str(value).map_err(|_| invalid())?,
            id,
        )),
        ("t", Sort::Title) => Ok(After::Title(value.to_owned(), id)),
        _ => Err(invalid()),
    }
}
