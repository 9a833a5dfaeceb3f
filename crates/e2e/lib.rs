//! Holder crate for the end-to-end suite in `tests/`; the tests themselves live there.
