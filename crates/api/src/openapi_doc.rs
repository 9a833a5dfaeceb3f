//! The OpenAPI document as clients read it. poem-openapi writes the paths,
//! schemas and descriptions from the code; this pass states what its
//! output leaves out about how the server behaves, so that strict parsers
//! and the generators (openapi-typescript, openapi-python-client) take it
//! without a warning:
//!
//! - it is OpenAPI 3.1, where a `$ref` may carry a description and `null`
//!   is a type; poem-openapi wraps a described enum field as `allOf: [$ref,
//!   {description}]`, which generators refuse for enums: the field becomes
//!   the `$ref` with its description beside it;
//! - an optional field the server answers as `null` (every optional field
//!   without a default: the server writes `None` as `null` and reads `null`
//!   as `None`) says so, as `type: [T, "null"]` or `anyOf: [$ref, null]`;
//! - request bodies refuse unknown fields (every object a body can hold is
//!   declared `deny_unknown_fields`), so their schemas say
//!   `additionalProperties: false`;
//! - `Idempotency-Key` is required where it is declared (the server answers
//!   400 `idempotency_key_required` without it);
//! - an operation with a body can answer 415 (a body that is not JSON);
//! - an operation lists the error statuses it can answer, not every one of
//!   `ApiError`'s: 401/403 only with a key, 413 only with a body, 409 only
//!   for a change, 429 only where attempts are counted ([`THROTTLED`]);
//! - chrono's dates have the standard `date` format, not `naive-date`;
//! - a slug a request sends states the domain's slug rules (pattern and
//!   length).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The document clients read, from poem-openapi's `raw` one.
pub fn finish(raw: &str) -> String {
    let mut doc: Value = serde_json::from_str(raw).expect("poem-openapi writes a JSON document");
    doc["openapi"] = json!("3.1.0");
    let requests = request_schemas(&doc);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            finish_schema(name, schema, requests.contains(name));
        }
    }
    standard_formats(&mut doc);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                for (method, operation) in item.iter_mut() {
                    finish_operation(method, operation);
                }
            }
        }
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// poem-openapi names chrono's dates and times `naive-date`/`naive-time`;
/// the standard formats are `date` and `time` (what generators map to a
/// date type).
fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(format)) = map.get_mut("format") {
                match format.as_str() {
                    "naive-date" => *format = "date".into(),
                    "naive-time" => *format = "time".into(),
                    _ => {}
                }
            }
            map.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// The component schemas a request body can hold, directly or nested.
fn request_schemas(doc: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut queue: Vec<String> = Vec::new();
    let operations = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values());
    for operation in operations {
        if let Some(body) = operation.get("requestBody") {
            refs_in(body, &mut queue);
        }
    }
    while let Some(name) = queue.pop() {
        if found.insert(name.clone())
            && let Some(schema) = doc.pointer(&format!("/components/schemas/{name}"))
        {
            refs_in(schema, &mut queue);
        }
    }
    found
}

/// Every component name `value` refers to.
fn refs_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

fn finish_schema(schema_name: &str, schema: &mut Value, is_request: bool) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required: BTreeSet<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        unwrap_described_ref(property);
        if is_request && name == "slug" {
            state_slug_rules(property);
        }
        if let Some(pattern) = stated_pattern(schema_name, name) {
            state_pattern(property, pattern);
        }
        // A name or title a request sends is never empty (the server trims
        // it and refuses nothing left).
        if is_request
            && (name == "name" || name == "title")
            && property.get("type").is_some_and(|t| t == "string")
        {
            property["minLength"] = json!(1);
        }
        if !required.contains(name) && property.get("default").is_none() {
            make_nullable(property);
        }
    }
    if is_request && !object.contains_key("additionalProperties") {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// Request fields whose values have a shape every valid value has (the
/// server refuses anything else, and more: a currency must also be known,
/// a region also enabled): (schema, field, pattern).
const STATED_PATTERNS: &[(&str, &str, &str)] = &[
    ("CreateBrand", "currency", bazaar_domain::Currency::PATTERN),
    ("UpdateBrand", "currency", bazaar_domain::Currency::PATTERN),
    ("VariantInput", "currency", bazaar_domain::Currency::PATTERN),
    (
        "UpdateVariant",
        "currency",
        bazaar_domain::Currency::PATTERN,
    ),
    ("CreateBrand", "default_region", REGION),
    ("UpdateBrand", "default_region", REGION),
    ("CreateCart", "region", REGION),
    ("UpdateCart", "region", REGION),
    ("CreateWarehouse", "region", REGION),
    ("CreateTenant", "regions", REGION),
    ("UpdateTenant", "regions", REGION),
];

const REGION: &str = bazaar_domain::validate::REGION_CODE_PATTERN;

fn stated_pattern(schema: &str, field: &str) -> Option<&'static str> {
    STATED_PATTERNS
        .iter()
        .find(|(s, f, _)| *s == schema && *f == field)
        .map(|(_, _, p)| *p)
}

/// Put `pattern` on a string field, or on the strings of an array field.
fn state_pattern(property: &mut Value, pattern: &str) {
    let is = |v: &Value, kind: &str| match v.get("type") {
        Some(Value::String(t)) => t == kind,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == kind),
        _ => false,
    };
    if is(property, "string") {
        property["pattern"] = json!(pattern);
    } else if is(property, "array")
        && let Some(items) = property.get_mut("items")
        && is(items, "string")
    {
        items["pattern"] = json!(pattern);
    }
}

/// A slug field a request sends is a [`Slug`](bazaar_domain::Slug): its
/// rules, stated where clients and the fuzzer can check them.
fn state_slug_rules(property: &mut Value) {
    if let Some(object) = property.as_object_mut()
        && object.get("type") == Some(&json!("string"))
    {
        object.insert("pattern".into(), json!(bazaar_domain::Slug::PATTERN));
        object.insert("minLength".into(), json!(bazaar_domain::Slug::MIN_LEN));
        object.insert("maxLength".into(), json!(bazaar_domain::Slug::MAX_LEN));
    }
}

/// `allOf: [{$ref}, {description, ...}]` → `{$ref, description, ...}`.
fn unwrap_described_ref(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    let Some(Value::Array(parts)) = object.get("allOf") else {
        return;
    };
    let [Value::Object(reference), rest @ ..] = parts.as_slice() else {
        return;
    };
    if !reference.contains_key("$ref") || reference.len() != 1 {
        return;
    }
    let mut merged: Map<String, Value> = reference.clone();
    for part in rest {
        if let Value::Object(extra) = part {
            merged.extend(extra.clone());
        }
    }
    for (key, value) in object.iter() {
        if key != "allOf" {
            merged.insert(key.clone(), value.clone());
        }
    }
    *object = merged;
}

/// Let `property` be `null` as well as what it is.
fn make_nullable(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    if let Some(reference) = object.remove("$ref") {
        let annotations = std::mem::take(object);
        object.insert(
            "anyOf".into(),
            json!([{ "$ref": reference }, { "type": "null" }]),
        );
        object.extend(annotations);
        return;
    }
    match object.get_mut("type") {
        Some(Value::String(kind)) => {
            let kind = std::mem::take(kind);
            object.insert("type".into(), json!([kind, "null"]));
        }
        Some(Value::Array(kinds)) => {
            if !kinds.iter().any(|k| k == "null") {
                kinds.push(json!("null"));
            }
        }
        _ => return,
    }
    if let Some(Value::Array(values)) = object.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// The operations that count attempts per address or account (sign-up,
/// sign-in, reset requests, email changes): the only ones that answer 429.
pub const THROTTLED: &[&str] = &[
    "register_customer",
    "login_customer",
    "request_password_reset",
    "update_me",
];

fn finish_operation(method: &str, operation: &mut Value) {
    let Some(operation) = operation.as_object_mut() else {
        return;
    };
    // poem-openapi gives every operation every status of `ApiError`; keep
    // those the operation can answer.
    let public = operation
        .get("security")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    let has_body = operation.contains_key("requestBody");
    let throttled = operation
        .get("operationId")
        .and_then(Value::as_str)
        .is_some_and(|id| THROTTLED.contains(&id));
    if let Some(Value::Object(responses)) = operation.get_mut("responses") {
        responses.retain(|status, _| match status.as_str() {
            "401" | "403" => !public,
            "413" => has_body,
            "409" => method != "get",
            "429" => throttled,
            _ => true,
        });
    }
    if let Some(Value::Array(parameters)) = operation.get_mut("parameters") {
        for parameter in parameters.iter_mut() {
            if parameter["in"] == "header" && parameter["name"] == "Idempotency-Key" {
                parameter["required"] = Value::Bool(true);
            }
        }
    }
    if operation.contains_key("requestBody")
        && let Some(Value::Object(responses)) = operation.get_mut("responses")
        && !responses.contains_key("415")
    {
        responses.insert(
            "415".into(),
            json!({
                "description": "The body is not `application/json`.",
                "content": {
                    "application/problem+json": {
                        "schema": { "$ref": "#/components/schemas/Problem" }
                    }
                }
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(raw: Value) -> Value {
        serde_json::from_str(&finish(&raw.to_string())).expect("json")
    }

    #[test]
    fn optional_fields_are_nullable_and_enum_refs_are_plain() {
        let doc = finished(json!({
            "openapi": "3.0.0",
            "paths": {
                "/x": { "post": {
                    "requestBody": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/In" } } } },
                    "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false }],
                    "responses": {}
                } }
            },
            "components": { "schemas": {
                "In": { "type": "object", "required": ["a"], "properties": {
                    "a": { "type": "string" },
                    "b": { "type": "string" },
                    "c": { "type": "integer", "default": 3 },
                    "d": { "allOf": [{ "$ref": "#/components/schemas/E" }, { "description": "an e" }] },
                    "n": { "$ref": "#/components/schemas/Nested" }
                } },
                "Nested": { "type": "object", "properties": {} },
                "Out": { "type": "object", "properties": { "b": { "type": "string" } } },
                "E": { "type": "string", "enum": ["x", "y"] }
            } }
        }));
        assert_eq!(doc["openapi"], "3.1.0");
        let input = &doc["components"]["schemas"]["In"];
        assert_eq!(input["properties"]["a"], json!({ "type": "string" }));
        assert_eq!(
            input["properties"]["b"],
            json!({ "type": ["string", "null"] })
        );
        assert_eq!(
            input["properties"]["c"],
            json!({ "type": "integer", "default": 3 })
        );
        assert_eq!(
            input["properties"]["d"],
            json!({ "anyOf": [{ "$ref": "#/components/schemas/E" }, { "type": "null" }], "description": "an e" })
        );
        assert_eq!(input["additionalProperties"], false);
        assert_eq!(
            doc["components"]["schemas"]["Nested"]["additionalProperties"],
            false
        );
        assert!(
            doc["components"]["schemas"]["Out"]
                .get("additionalProperties")
                .is_none()
        );
        let op = &doc["paths"]["/x"]["post"];
        assert_eq!(op["parameters"][0]["required"], true);
        assert!(op["responses"]["415"].is_object());
    }
}
