//! Requests are held to the OpenAPI document before a handler sees them.
//!
//! poem-openapi parses a JSON body leniently where the document is strict
//! (a number or boolean sent for a string field becomes its text), and
//! PostgreSQL cannot store a NUL character, which made any free-text field
//! a way to a 500. So every JSON body is checked here against its
//! operation's request schema in the served document: each value has the
//! type the document gives it (`{"name": 12345}` is refused, not stored as
//! `"12345"`), an enum value is one of the listed ones, and no string
//! holds U+0000. The refusal is a 422 naming the field by its JSON path
//! (`variants[0].price`). A NUL in the URL path or query is refused the
//! same way. Unknown fields and missing required ones are left to the
//! parser, which refuses them as the document says.

use std::collections::BTreeMap;

use poem::http::{Method, StatusCode};
use serde_json::Value;

use crate::error::ApiError;

/// The request body schema of every operation that takes JSON.
pub struct RequestSchemas {
    routes: Vec<Route>,
    /// Every operation's method and path, for `Allow` on a 405.
    operations: Vec<(Method, Vec<Segment>)>,
    components: BTreeMap<String, Value>,
}

struct Route {
    method: Method,
    segments: Vec<Segment>,
    schema: Value,
}

enum Segment {
    Literal(String),
    Param,
}

/// Why a value breaks the document.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a JSON path (`variants[0].price`; empty for the body).
    pub field: String,
    pub message: String,
}

impl Violation {
    pub fn into_error(self) -> ApiError {
        if self.field.is_empty() {
            // The body as a whole is not what the operation takes.
            return ApiError::bad_request(
                "invalid_body",
                format!("the request body {}", self.message),
            );
        }
        let field = format!("`{}`", self.field);
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("{field} {}", self.message),
        );
        error.set_details([("field".to_owned(), Value::String(self.field))]);
        error
    }
}

impl RequestSchemas {
    /// From the finished document (see `openapi_doc`).
    pub fn from_document(document: &str) -> Self {
        let doc: Value = serde_json::from_str(document).expect("the document is JSON");
        let mut routes = Vec::new();
        let mut operations = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, operation) in item {
                    let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                    else {
                        continue;
                    };
                    operations.push((method.clone(), segments(path)));
                    let Some(schema) = operation
                        .pointer("/requestBody/content")
                        .and_then(Value::as_object)
                        .and_then(|content| {
                            content
                                .iter()
                                .find(|(kind, _)| kind.starts_with("application/json"))
                                .and_then(|(_, media)| media.get("schema"))
                        })
                    else {
                        continue;
                    };
                    routes.push(Route {
                        method,
                        segments: segments(path),
                        schema: schema.clone(),
                    });
                }
            }
        }
        let components = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        RequestSchemas {
            routes,
            operations,
            components,
        }
    }

    /// The methods the document has for `path` (for a 405's `Allow`).
    pub fn allowed_methods(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let Some(best) = self.best_match(&parts) else {
            return Vec::new();
        };
        let mut methods: Vec<Method> = self
            .operations
            .iter()
            .filter(|(_, segments)| same(segments, best))
            .map(|(m, _)| m.clone())
            .collect();
        methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        methods.dedup();
        methods
    }

    /// The body schema of the operation at `method` `path`, if it takes
    /// JSON.
    pub fn schema_for(&self, method: &Method, path: &str) -> Option<&Value> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let best = self.best_match(&parts)?;
        self.routes
            .iter()
            .find(|r| r.method == method && same(&r.segments, best))
            .map(|r| &r.schema)
    }

    /// The document path `parts` is: of those that match, the one with the
    /// most literal segments, earliest (as OpenAPI resolves
    /// `/carts/abandoned` before `/carts/{cart_id}`).
    fn best_match(&self, parts: &[&str]) -> Option<&[Segment]> {
        self.operations
            .iter()
            .map(|(_, segments)| segments.as_slice())
            .filter(|segments| matches(segments, parts))
            .max_by_key(|segments| literal_rank(segments))
    }

    /// Check `body` against `schema`.
    pub fn check(&self, schema: &Value, body: &Value) -> Result<(), Violation> {
        let mut at = String::new();
        self.value(schema, body, &mut at, 0)
    }

    fn value(
        &self,
        schema: &Value,
        value: &Value,
        at: &mut String,
        depth: usize,
    ) -> Result<(), Violation> {
        let fail = |at: &str, message: String| {
            Err(Violation {
                field: at.to_owned(),
                message,
            })
        };
        if depth > 64 {
            return fail(at, "is nested too deeply".into());
        }
        if let Value::String(text) = value
            && text.contains('\0')
        {
            return fail(
                at,
                "contains a NUL character (U+0000), which text cannot hold".into(),
            );
        }
        let Some(schema) = schema.as_object() else {
            // Not described (free JSON, or a field the parser will refuse
            // as unknown): still no NUL anywhere in it.
            return nul_free(value, at);
        };
        if let Some(Value::String(reference)) = schema.get("$ref") {
            let name = reference.trim_start_matches("#/components/schemas/");
            return match self.components.get(name) {
                Some(target) => self.value(target, value, at, depth + 1),
                None => Ok(()),
            };
        }
        if let Some(Value::Array(choices)) = schema.get("anyOf") {
            let mut first = None;
            for choice in choices {
                match self.value(choice, value, at, depth + 1) {
                    Ok(()) => return Ok(()),
                    Err(v) if first.is_none() && !is_null_type(choice) => first = Some(v),
                    Err(_) => {}
                }
            }
            return match first {
                Some(v) => Err(v),
                None => fail(at, "has the wrong type".into()),
            };
        }
        if let Some(kinds) = schema.get("type") {
            let allowed: Vec<&str> = match kinds {
                Value::String(k) => vec![k.as_str()],
                Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !allowed.is_empty() && !allowed.iter().any(|k| is_kind(k, value)) {
                let example = match schema.get("example") {
                    Some(Value::String(e)) => format!(" (e.g. \"{e}\")"),
                    _ => String::new(),
                };
                return fail(
                    at,
                    format!(
                        "must be {}{example}, not {}",
                        expected(&allowed),
                        kind_of(value)
                    ),
                );
            }
        }
        if let Some(Value::Array(options)) = schema.get("enum")
            && !options.contains(value)
        {
            let names: Vec<String> = options
                .iter()
                .map(|o| {
                    o.as_str()
                        .map_or_else(|| o.to_string(), |s| format!("`{s}`"))
                })
                .collect();
            return fail(at, format!("must be one of {}", names.join(", ")));
        }
        match value {
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        let len = at.len();
                        at.push_str(&format!("[{i}]"));
                        self.value(item_schema, item, at, depth + 1)?;
                        at.truncate(len);
                    }
                }
            }
            Value::Object(fields) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let extra = schema.get("additionalProperties").filter(|s| s.is_object());
                for (name, field) in fields {
                    if name.contains('\0') {
                        return fail(at, "has a key with a NUL character (U+0000)".into());
                    }
                    let field_schema = properties
                        .and_then(|p| p.get(name))
                        .or(extra)
                        .unwrap_or(&Value::Null);
                    let len = at.len();
                    if !at.is_empty() {
                        at.push('.');
                    }
                    at.push_str(name);
                    self.value(field_schema, field, at, depth + 1)?;
                    at.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// No NUL in any string or key of `value`.
fn nul_free(value: &Value, at: &mut String) -> Result<(), Violation> {
    let found = |at: &str| {
        Err(Violation {
            field: at.to_owned(),
            message: "contains a NUL character (U+0000), which text cannot hold".into(),
        })
    };
    match value {
        Value::String(text) if text.contains('\0') => found(at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                nul_free(item, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                if name.contains('\0') {
                    return found(at);
                }
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(name);
                nul_free(field, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Literal segments count first, earlier ones more: `/a/b/{x}` over
/// `/a/{y}/c`.
fn literal_rank(segments: &[Segment]) -> Vec<bool> {
    segments
        .iter()
        .map(|s| matches!(s, Segment::Literal(_)))
        .collect()
}

fn same(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Segment::Literal(l), Segment::Literal(r)) => l == r,
            (Segment::Param, Segment::Param) => true,
            _ => false,
        })
}

fn matches(segments: &[Segment], parts: &[&str]) -> bool {
    segments.len() == parts.len()
        && segments.iter().zip(parts).all(|(s, p)| match s {
            Segment::Literal(l) => l == p,
            Segment::Param => !p.is_empty(),
        })
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

fn is_null_type(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("null".into()))
}

fn is_kind(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(kinds: &[&str]) -> String {
    let words: Vec<&str> = kinds
        .iter()
        .map(|k| match *k {
            "string" => "a string",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "a boolean",
            "array" => "an array",
            "object" => "an object",
            "null" => "null",
            other => other,
        })
        .collect();
    words.join(" or ")
}

/// Whether a raw path or query string carries an encoded NUL (`%00`).
pub fn has_encoded_nul(raw: &str) -> bool {
    raw.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schemas() -> RequestSchemas {
        let doc = json!({
            "paths": {
                "/v1/things/{id}": { "post": { "requestBody": { "content": {
                    "application/json; charset=utf-8": { "schema": { "$ref": "#/components/schemas/Thing" } } } } },
                    "get": {} },
                "/v1/things/special": { "put": {} }
            },
            "components": { "schemas": {
                "Thing": { "type": "object", "properties": {
                    "name": { "type": "string" },
                    "note": { "type": ["string", "null"] },
                    "active": { "type": "boolean" },
                    "kind": { "$ref": "#/components/schemas/Kind" },
                    "parts": { "type": "array", "items": { "$ref": "#/components/schemas/Part" } },
                    "tags": { "type": "object", "additionalProperties": { "type": "string" } },
                    "maybe": { "anyOf": [{ "$ref": "#/components/schemas/Kind" }, { "type": "null" }] }
                } },
                "Part": { "type": "object", "properties": { "price": { "type": "string" }, "qty": { "type": "integer" } } },
                "Kind": { "type": "string", "enum": ["a", "b"] }
            } }
        });
        RequestSchemas::from_document(&doc.to_string())
    }

    fn check(body: Value) -> Result<(), Violation> {
        let s = schemas();
        let schema = s
            .schema_for(&Method::POST, "/v1/things/123")
            .expect("route")
            .clone();
        s.check(&schema, &body)
    }

    #[test]
    fn wrong_types_are_named_by_path() {
        assert_eq!(
            check(json!({ "name": "ok", "note": null, "maybe": null })),
            Ok(())
        );
        let v = check(json!({ "name": 12345 })).expect_err("number for string");
        assert_eq!(
            (v.field.as_str(), v.message.as_str()),
            ("name", "must be a string, not an integer")
        );
        let v =
            check(json!({ "parts": [{ "price": "1.00" }, { "price": 1.5 }] })).expect_err("nested");
        assert_eq!(v.field, "parts[1].price");
        let v = check(json!({ "active": "yes" })).expect_err("string for bool");
        assert_eq!(v.field, "active");
        let v = check(json!({ "kind": "c" })).expect_err("enum");
        assert_eq!(v.message, "must be one of `a`, `b`");
        let v = check(json!({ "maybe": "c" })).expect_err("nullable enum");
        assert_eq!(v.field, "maybe");
        let v = check(json!({ "tags": { "x": true } })).expect_err("map value");
        assert_eq!(v.field, "tags.x");
        let v = check(json!({ "parts": [{ "qty": 1.5 }] })).expect_err("fraction for integer");
        assert_eq!(v.field, "parts[0].qty");
    }

    #[test]
    fn nul_is_refused_anywhere() {
        let v = check(json!({ "name": "N\u{0}" })).expect_err("nul");
        assert_eq!(v.field, "name");
        let v = check(json!({ "tags": { "k\u{0}": "v" } })).expect_err("nul in a key");
        assert_eq!(
            (v.field.as_str(), v.message.contains("key")),
            ("tags", true)
        );
        let v = check(json!({ "unknown": ["x\u{0}"] })).expect_err("nul in undescribed JSON");
        assert_eq!(v.field, "unknown[0]");
        assert!(has_encoded_nul("/v1/products/a%00b"));
        assert!(!has_encoded_nul("/v1/products/a%20b"));
    }

    #[test]
    fn routes_match_by_segments() {
        let s = schemas();
        assert!(s.schema_for(&Method::POST, "/v1/things/1").is_some());
        assert!(s.schema_for(&Method::GET, "/v1/things/1").is_none());
        assert!(s.schema_for(&Method::POST, "/v1/things").is_none());
        assert!(s.schema_for(&Method::POST, "/v1/things/1/more").is_none());
        assert_eq!(
            s.allowed_methods("/v1/things/1"),
            [Method::GET, Method::POST]
        );
        // A fixed path wins over the templated one beside it.
        assert_eq!(s.allowed_methods("/v1/things/special"), [Method::PUT]);
        assert!(s.schema_for(&Method::POST, "/v1/things/special").is_none());
        assert!(s.allowed_methods("/v1/nothing").is_empty());
    }
}
