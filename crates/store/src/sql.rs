//! SQL functions the repositories' DSL statements use that diesel does not
//! declare itself.

use diesel::sql_types::{BigInt, Int4, Nullable, SingleValue, Text};

diesel::define_sql_function! {
    /// `clock_timestamp()`: the time now, not the transaction's start
    /// (`now()`).
    fn clock_timestamp() -> diesel::sql_types::Timestamptz;
}

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

diesel::define_sql_function! {
    /// `sum(int4)`: a bigint, NULL over no rows.
    #[aggregate]
    #[sql_name = "sum"]
    fn sum_int4(x: Int4) -> Nullable<BigInt>;
}

diesel::define_sql_function! {
    /// [`coalesce`] for a bigint: `#[auto_type]` cannot name a generic
    /// function's type.
    #[sql_name = "coalesce"]
    fn coalesce_bigint(x: Nullable<BigInt>, y: BigInt) -> BigInt;
}

diesel::define_sql_function! {
    /// `sum(numeric)`: NULL over no rows.
    #[aggregate]
    #[sql_name = "sum"]
    fn sum_numeric(x: diesel::sql_types::Numeric) -> Nullable<diesel::sql_types::Numeric>;
}

diesel::define_sql_function! {
    /// [`coalesce`] for a numeric (see [`coalesce_bigint`]).
    #[sql_name = "coalesce"]
    fn coalesce_numeric(
        x: Nullable<diesel::sql_types::Numeric>,
        y: diesel::sql_types::Numeric,
    ) -> diesel::sql_types::Numeric;
}
