//! SQL functions the repositories' DSL statements use that diesel does not
//! declare itself.

use diesel::sql_types::{Nullable, SingleValue, Text};

diesel::define_sql_function! {
    /// `lower(text)`.
    fn lower(x: Text) -> Text;
}

diesel::define_sql_function! {
    /// `lower(text)` of a nullable value.
    #[sql_name = "lower"]
    fn lower_nullable(x: Nullable<Text>) -> Nullable<Text>;
}

diesel::define_sql_function! {
    /// `coalesce(value, fallback)`: the value, or the fallback when it is
    /// NULL.
    fn coalesce<ST: SingleValue>(x: Nullable<ST>, y: ST) -> ST;
}
