//! What can go wrong talking to the database, sorted by what the caller
//! should do about it.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (in this tenant).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write.
    #[error("conflicts with an existing row ({constraint})")]
    Conflict { constraint: String },
    /// A foreign key or check constraint refused the write.
    #[error("violates constraint {constraint}: {message}")]
    Constraint { constraint: String, message: String },
    /// No connection could be had in time: the caller should back off.
    #[error("database busy: no connection available in time")]
    PoolTimeout,
    /// The database could not be reached or dropped the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A migration failed; the message names it.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Anything else: a bug or an unexpected database state.
    #[error("database error: {0}")]
    Database(DieselError),
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Conflict {
                    constraint: info.constraint_name().unwrap_or("unique").to_owned(),
                }
            }
            DieselError::DatabaseError(
                kind @ (DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::NotNullViolation),
                info,
            ) => StoreError::Constraint {
                constraint: info
                    .constraint_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{kind:?}")),
                message: info.message().to_owned(),
            },
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

impl From<bb8::RunError<diesel_async::pooled_connection::PoolError>> for StoreError {
    fn from(err: bb8::RunError<diesel_async::pooled_connection::PoolError>) -> Self {
        match err {
            bb8::RunError::TimedOut => StoreError::PoolTimeout,
            bb8::RunError::User(e) => StoreError::Unavailable(e.to_string()),
        }
    }
}
