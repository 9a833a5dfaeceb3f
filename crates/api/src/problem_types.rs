//! The problem catalog: every `code` the API answers with, its status and
//! what it means. A problem document's `type` is the catalog entry's URI,
//! `/v1/problems/{code}`, which the API serves (see
//! `routes::problems`), so a developer who meets a code can look it up.
//!
//! The catalog is assembled, not written twice: the use cases' refusal
//! enums list their own codes ([`bazaar_commerce::refusal::catalog`]), the
//! domain lists its rules' codes ([`bazaar_domain::error::CODES`]), and the
//! HTTP layer's own codes are [`EDGE`] below. A code answered but missing
//! from the catalog is a bug the test build catches (see `error::problem`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bazaar_commerce::Kind;

/// Where the catalog entry of `code` is served; a problem's `type`.
pub fn type_uri(code: &str) -> String {
    format!("/v1/problems/{code}")
}

/// One code of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemType {
    pub code: &'static str,
    pub status: u16,
    /// What the code means; a refusal's message, with the values it names
    /// in braces.
    pub detail: &'static str,
    /// The names of the values the problem's `details` carries.
    pub details: &'static [&'static str],
}

impl ProblemType {
    /// A short title from the code: `out_of_stock` → "Out of stock".
    pub fn title(&self) -> String {
        let words = self.code.replace('_', " ");
        let mut chars = words.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

/// The codes the HTTP layer answers with itself: before a handler runs
/// (parsing, routing, keys, body limits), and for the database's failures.
pub const EDGE: &[(&str, u16, &str)] = &[
    (
        "malformed_request",
        400,
        "the request is not valid HTTP/1.1 (a NUL or bare line break in a header, a malformed request line)",
    ),
    (
        "uri_too_long",
        414,
        "the URL is longer than the server reads; send long inputs in a body",
    ),
    (
        "headers_too_large",
        431,
        "the headers are more than the server reads (about 400 KB in all, at most 100)",
    ),
    (
        "bad_request",
        400,
        "the request could not be read as HTTP the API understands",
    ),
    (
        "route_not_found",
        404,
        "no endpoint has that path; the API reference is at /docs",
    ),
    (
        "method_not_allowed",
        405,
        "the endpoint does not take that method; `Allow` lists those it takes",
    ),
    (
        "payload_too_large",
        413,
        "the body is over the configured limit",
    ),
    (
        "unsupported_media_type",
        415,
        "the body is not `application/json`",
    ),
    (
        "invalid_body",
        400,
        "the body is not JSON, or not the kind of value the operation takes",
    ),
    (
        "invalid_field",
        422,
        "a field of the body has the wrong type, or a value the document does not allow; `details.field` names it",
    ),
    (
        "invalid_parameter",
        400,
        "a path, query or header parameter is missing or invalid",
    ),
    (
        "invalid_csv",
        400,
        "the uploaded file is not UTF-8 CSV text",
    ),
    (
        "missing_api_key",
        401,
        "no `Authorization: Bearer <key>` header",
    ),
    (
        "session_required",
        401,
        "the operation needs the signed-in shopper's `X-Customer-Token`",
    ),
    (
        "platform_key_required",
        403,
        "the operation needs the platform key",
    ),
    (
        "tenant_key_required",
        403,
        "the operation acts inside one tenant and needs a tenant key",
    ),
    ("not_found", 404, "no such object"),
    (
        "problem_type_not_found",
        404,
        "no problem type has that code; `GET /v1/problems` lists them",
    ),
    (
        "conflict",
        409,
        "the request conflicts with an existing object",
    ),
    (
        "value_out_of_range",
        422,
        "a number is too large for what it counts or measures",
    ),
    (
        "database_busy",
        503,
        "every database connection is in use; retry after `Retry-After` seconds",
    ),
    (
        "database_unavailable",
        503,
        "the database cannot be reached (restarting, failing over); retry after `Retry-After` seconds",
    ),
    (
        "internal_error",
        500,
        "a bug; the `X-Request-Id` leads to the log line with the cause",
    ),
];

/// The status a refusal of `kind` is answered with.
pub fn status_of(kind: Kind) -> u16 {
    match kind {
        Kind::Invalid => 400,
        Kind::Unauthenticated => 401,
        Kind::Forbidden => 403,
        Kind::NotFound => 404,
        Kind::Conflict => 409,
        Kind::Unprocessable => 422,
        Kind::TooMany { .. } => 429,
        Kind::Unavailable => 503,
    }
}

/// Every code, once, by code. Where two refusals share a code, the first
/// listed describes it (they agree on the status: see the tests).
pub fn catalog() -> &'static BTreeMap<&'static str, ProblemType> {
    static CATALOG: OnceLock<BTreeMap<&'static str, ProblemType>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut all = BTreeMap::new();
        for entry in entries() {
            all.entry(entry.code).or_insert(entry);
        }
        all
    })
}

/// Every entry of every source, duplicates included.
fn entries() -> Vec<ProblemType> {
    let edge = EDGE.iter().map(|&(code, status, detail)| ProblemType {
        code,
        status,
        detail,
        details: &[],
    });
    let domain = bazaar_domain::error::CODES
        .iter()
        .map(|&(code, detail)| ProblemType {
            code,
            status: if bazaar_domain::DomainError::is_state_conflict(code) {
                409
            } else {
                422
            },
            detail,
            details: &[],
        });
    let refusals = bazaar_commerce::refusal::catalog()
        .into_iter()
        .flat_map(|(_, codes)| codes.iter())
        .map(|info| ProblemType {
            code: info.code,
            status: status_of(info.kind),
            detail: info.message,
            details: info.details,
        });
    edge.chain(domain).chain(refusals).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// A code means one status wherever it is raised.
    #[test]
    fn a_code_has_one_status() {
        let mut seen: BTreeMap<&str, u16> = BTreeMap::new();
        for entry in entries() {
            let status = *seen.entry(entry.code).or_insert(entry.status);
            assert_eq!(
                status, entry.status,
                "`{}` is answered as {status} in one place and {} in another",
                entry.code, entry.status
            );
        }
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("problem_types.rs")
            {
                out.push(path);
            }
        }
    }

    /// The quoted names that follow `marker` in the sources of `crate_dir`.
    fn names_after(crate_dir: &str, marker: &str) -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate_dir)
            .join("src");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let mut names = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source");
            for (at, _) in text.match_indices(marker) {
                let Some(rest) = text[at + marker.len()..].trim_start().strip_prefix('"') else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
        names
    }

    /// The quoted codes of `new(StatusCode::X, "code", ...)` calls in the
    /// API crate.
    fn status_codes_in_api() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let mut codes = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source");
            for (at, _) in text.match_indices("new(") {
                let args = text[at + 4..].trim_start();
                let Some(rest) = args.strip_prefix("StatusCode::") else {
                    continue;
                };
                let Some((_, after)) = rest.split_once(',') else {
                    continue;
                };
                if let Some(quoted) = after.trim_start().strip_prefix('"') {
                    codes.insert(quoted.chars().take_while(|c| *c != '"').collect());
                }
            }
        }
        codes
    }

    /// Every refusal enum is in the commerce catalog, every domain code in
    /// the domain's list, and every code the API crate writes in a
    /// constructor in [`EDGE`]: the catalog is complete.
    #[test]
    fn every_code_in_the_sources_is_catalogued() {
        let listed: BTreeSet<&str> = bazaar_commerce::refusal::catalog()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let mut enums = BTreeSet::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commerce/src");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source");
            for (at, _) in text.match_indices("refusals! {") {
                let block = &text[at..];
                let name = block
                    .split("enum ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .expect("an enum in refusals!");
                enums.insert(name.to_owned());
            }
        }
        // Hand-written refusals (the domain's are listed by the domain).
        for file in {
            let mut files = Vec::new();
            rust_files(&root, &mut files);
            files
        } {
            let text = std::fs::read_to_string(&file).expect("source");
            for (at, _) in text.match_indices("impl Refusal for ") {
                let name: String = text[at + "impl Refusal for ".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != "bazaar_domain" {
                    enums.insert(name);
                }
            }
        }
        // The macro's own tests.
        enums.remove("Inner");
        enums.remove("Outer");
        for name in &enums {
            assert!(
                listed.contains(name.as_str()),
                "{name} is not in bazaar_commerce::refusal::catalog()"
            );
        }

        let domain: BTreeSet<&str> = bazaar_domain::error::CODES.iter().map(|c| c.0).collect();
        for code in names_after("domain", "DomainError::new(") {
            assert!(
                domain.contains(code.as_str()),
                "domain code `{code}` is not in error::CODES"
            );
        }

        let edge: BTreeSet<&str> = EDGE.iter().map(|c| c.0).collect();
        for constructor in [
            "ApiError::bad_request(",
            "ApiError::unauthorized(",
            "ApiError::forbidden(",
            "ApiError::not_found(",
            "ApiError::conflict(",
            "ApiError::unprocessable(",
            "Self::not_found(",
            "Self::conflict(",
            "Self::unprocessable(",
        ] {
            for code in names_after("api", constructor) {
                assert!(
                    edge.contains(code.as_str()),
                    "`{code}` ({constructor}) is not in EDGE"
                );
            }
        }
        // `new(StatusCode::X, "code", ...)`: the code is the second argument.
        for code in status_codes_in_api() {
            assert!(
                edge.contains(code.as_str()),
                "`{code}` (new) is not in EDGE"
            );
        }
        for code in [
            "malformed_request",
            "uri_too_long",
            "headers_too_large",
            "internal_error",
        ] {
            assert!(catalog().contains_key(code));
        }
    }

    #[test]
    fn titles_and_uris() {
        let entry = &catalog()["cart_not_found"];
        assert_eq!(entry.title(), "Cart not found");
        assert_eq!(entry.status, 404);
        assert_eq!(type_uri("cart_not_found"), "/v1/problems/cart_not_found");
    }
}
