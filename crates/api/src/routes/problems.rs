//! `/v1/problems`: the problem catalog. A problem document's `type` is
//! `/v1/problems/{code}`; this is where it leads. Public: no key needed,
//! since a developer reading an error may not have one at hand.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::Tag;
use crate::error::{ApiError, ApiResult};
use crate::problem_types::{self, ProblemType};

/// One problem type: a `code` the API answers with and what it means.
#[derive(Debug, Object)]
pub struct ProblemTypeView {
    /// The stable code, as in a problem's `code`.
    pub code: String,
    /// The URI reference problems of this type carry as `type`.
    #[oai(rename = "type")]
    pub kind: String,
    /// The title problems of this type carry.
    pub title: String,
    /// The HTTP status it is answered with.
    pub status: u16,
    /// What it means: for a refusal, its message with the values it names
    /// in braces (`only {available} of {sku} left`).
    pub description: String,
    /// The names of the values a problem of this type carries in `details`.
    pub details: Vec<String>,
}

impl From<&ProblemType> for ProblemTypeView {
    fn from(entry: &ProblemType) -> Self {
        Self {
            code: entry.code.to_owned(),
            kind: problem_types::type_uri(entry.code),
            title: entry.title(),
            status: entry.status,
            description: entry.detail.to_owned(),
            details: entry.details.iter().map(|d| (*d).to_owned()).collect(),
        }
    }
}

/// Every problem type, by code.
#[derive(Debug, Object)]
pub struct ProblemTypeList {
    pub items: Vec<ProblemTypeView>,
}

pub struct ProblemsApi;

#[OpenApi(prefix_path = "/v1/problems", tag = "Tag::Problems")]
impl ProblemsApi {
    /// List problem types
    ///
    /// Every `code` a problem document can carry, with its status and
    /// meaning, ordered by code. No key needed.
    #[oai(path = "/", method = "get", operation_id = "list_problem_types")]
    async fn list(&self) -> ApiResult<Json<ProblemTypeList>> {
        Ok(Json(ProblemTypeList {
            items: problem_types::catalog()
                .values()
                .map(ProblemTypeView::from)
                .collect(),
        }))
    }

    /// Get a problem type
    ///
    /// What a problem's `type` (`/v1/problems/{code}`) names. No key needed.
    #[oai(path = "/:code", method = "get", operation_id = "get_problem_type")]
    async fn get(&self, code: Path<String>) -> ApiResult<Json<ProblemTypeView>> {
        problem_types::catalog()
            .get(code.0.as_str())
            .map(|entry| Json(ProblemTypeView::from(entry)))
            .ok_or_else(|| {
                ApiError::not_found(
                    "problem_type_not_found",
                    "no problem type has that code; GET /v1/problems lists them",
                )
            })
    }
}
