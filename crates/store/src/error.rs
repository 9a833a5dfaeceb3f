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
    /// A value overflows its column (an amount or quantity too large).
    #[error("value out of range: {0}")]
    OutOfRange(String),
    /// A migration failed; the message names it.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Anything else: a bug or an unexpected database state.
    #[error("database error: {0}")]
    Database(DieselError),
}

/// How PostgreSQL words "I cannot serve you now".
const SERVER_UNAVAILABLE: &[&str] = &[
    "terminating connection due to administrator command",
    "terminating connection due to unexpected postmaster exit",
    "terminating connection because of crash of another server process",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "sorry, too many clients already",
    "connection closed",
];

/// How PostgreSQL words a numeric overflow.
const OUT_OF_RANGE: &[&str] = &["out of range", "numeric field overflow"];

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
            // The connection is gone (the socket closed, the server went
            // away mid-query): no SQLSTATE reaches us, only this kind.
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            // The server is stopping, starting or full (SQLSTATE 57P01-57P03,
            // 53300). diesel passes on the message, not the SQLSTATE: these
            // are PostgreSQL's own messages (with the default lc_messages).
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if SERVER_UNAVAILABLE
                    .iter()
                    .any(|m| info.message().starts_with(m)) =>
            {
                StoreError::Unavailable(info.message().to_owned())
            }
            // A value the client sent overflows its column (SQLSTATE 22003):
            // the caller's to fix, though inputs are bounded before this.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if OUT_OF_RANGE.iter().any(|m| info.message().contains(m)) =>
            {
                StoreError::OutOfRange(info.message().to_owned())
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
