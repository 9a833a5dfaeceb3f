//! A JSON response whose body is already serialised: what cached storefront
//! pages are served as, so a cache hit is a copy of bytes rather than a
//! parse and a re-serialisation. The OpenAPI document shows `T`'s schema,
//! exactly as for `Json<T>`.

use std::marker::PhantomData;

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};

pub struct JsonBytes<T> {
    bytes: Vec<u8>,
    _shape: PhantomData<fn() -> T>,
}

impl<T: ToJSON> JsonBytes<T> {
    /// Bytes known to be the JSON of a `T` (from the cache).
    pub fn from_cached(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            _shape: PhantomData,
        }
    }

    /// Serialise `value`.
    pub fn from_value(value: &T) -> Self {
        let bytes = value
            .to_json()
            .and_then(|json| serde_json::to_vec(&json).ok())
            .unwrap_or_else(|| b"null".to_vec());
        Self::from_cached(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T: Type> Payload for JsonBytes<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T> IntoResponse for JsonBytes<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(self.bytes)
    }
}

impl<T: Type> ApiResponse for JsonBytes<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
