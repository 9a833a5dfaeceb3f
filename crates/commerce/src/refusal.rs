//! Typed refusals: what a use case answers when it will not do what was
//! asked, and the one shape every use case's failure takes.
//!
//! Each capability declares its own refusal enum with [`refusals!`]: per
//! variant, how the edge should classify it ([`Kind`]), a stable `code` and
//! a message a person can act on. The HTTP crate maps every [`Refusal`] to
//! a problem document in one place.

use bazaar_store::StoreError;

/// How a refusal is classified, independent of any transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request is malformed or a value in it is invalid (HTTP 400).
    Invalid,
    /// Credentials are missing, unknown or expired (401).
    Unauthenticated,
    /// The caller is known but may not do this (403).
    Forbidden,
    /// No such object visible to the caller (404).
    NotFound,
    /// The request conflicts with the current state (409).
    Conflict,
    /// Well-formed, but the values are not acceptable (422).
    Unprocessable,
    /// Too many attempts; the next is accepted after this many seconds (429).
    TooMany { retry_after: u64 },
    /// This node cannot serve the request; another node can (503).
    Unavailable,
}

/// One code a refusal can answer with, as the problem catalog lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: &'static str,
    /// How the edge classifies it (a `TooMany`'s delay is per request).
    pub kind: Kind,
    /// The message, with the fields it names in braces.
    pub message: &'static str,
    /// The names of the values in the problem's `details`.
    pub details: &'static [&'static str],
}

/// Each [`Kind`] by the name [`refusals!`] writes, as a constant.
#[allow(non_upper_case_globals)]
pub mod kind_of {
    use super::Kind;
    pub const Invalid: Kind = Kind::Invalid;
    pub const Unauthenticated: Kind = Kind::Unauthenticated;
    pub const Forbidden: Kind = Kind::Forbidden;
    pub const NotFound: Kind = Kind::NotFound;
    pub const Conflict: Kind = Kind::Conflict;
    pub const Unprocessable: Kind = Kind::Unprocessable;
    pub const TooMany: Kind = Kind::TooMany { retry_after: 0 };
    pub const Unavailable: Kind = Kind::Unavailable;
}

/// Every refusal enum's own codes, by the enum's name: what the problem
/// catalog is made of. A refusal declared with [`refusals!`] (or by a hand
/// `impl Refusal`) and not named here fails the catalog's completeness
/// test.
pub fn catalog() -> Vec<(&'static str, &'static [CodeInfo])> {
    macro_rules! named {
        ($($path:path => $name:ident),* $(,)?) => {
            vec![$((stringify!($name), {
                use $path as $name;
                $name::CODES
            })),*]
        };
    }
    named![
        crate::acting::ActingRefusal => ActingRefusal,
        crate::brands::BrandRefusal => BrandRefusal,
        crate::carts::CartRefusal => CartRefusal,
        crate::carts::OpenRefusal => OpenRefusal,
        crate::carts::change::ChangeRefusal => ChangeRefusal,
        crate::carts::create::CreateRefusal => CreateRefusal,
        crate::catalog::browse::BrowseRefusal => BrowseRefusal,
        crate::catalog::categories::CategoryRefusal => CategoryRefusal,
        crate::catalog::import::ImportRefusal => ImportRefusal,
        crate::catalog::listings::ListingRefusal => ListingRefusal,
        crate::catalog::products::ProductRefusal => ProductRefusal,
        crate::checkout::CheckoutRefusal => CheckoutRefusal,
        crate::checkout::ConfirmRefusal => ConfirmRefusal,
        crate::subscriptions::SubscriptionRefusal => SubscriptionRefusal,
        crate::payment_routes::RouteRefusal => RouteRefusal,
        crate::context::AccessRefusal => AccessRefusal,
        crate::customers::CustomerRefusal => CustomerRefusal,
        crate::customers::addresses::AddressRefusal => AddressRefusal,
        crate::customers::admin::AdminRefusal => AdminRefusal,
        crate::customers::auth::PasswordRefusal => PasswordRefusal,
        crate::customers::carts::SaveCartRefusal => SaveCartRefusal,
        crate::customers::email::ResendRefusal => ResendRefusal,
        crate::customers::fields::FieldRefusal => FieldRefusal,
        crate::customers::email::TokenRefusal => TokenRefusal,
        crate::customers::email::VerifyEmailRefusal => VerifyEmailRefusal,
        crate::customers::login::LoginRefusal => LoginRefusal,
        crate::customers::orders::HistoryRefusal => HistoryRefusal,
        crate::customers::password::PasswordChangeRefusal => PasswordChangeRefusal,
        crate::customers::password::ResetRefusal => ResetRefusal,
        crate::customers::password::ResetRequestRefusal => ResetRequestRefusal,
        crate::customers::profile::ProfileRefusal => ProfileRefusal,
        crate::customers::register::RegisterRefusal => RegisterRefusal,
        crate::customers::settings::SettingsRefusal => SettingsRefusal,
        crate::customers::throttle::ThrottleRefusal => ThrottleRefusal,
        crate::customers::wishlists::SharedWishlistRefusal => SharedWishlistRefusal,
        crate::customers::wishlists::WishlistRefusal => WishlistRefusal,
        crate::fulfilment::FulfilmentRefusal => FulfilmentRefusal,
        crate::inventory::InventoryRefusal => InventoryRefusal,
        crate::keys::AuthRefusal => AuthRefusal,
        crate::keys::KeyRefusal => KeyRefusal,
        crate::orders::CancelRefusal => CancelRefusal,
        crate::orders::OrderRefusal => OrderRefusal,
        crate::payment_events::EventRefusal => EventRefusal,
        crate::payouts::PayoutRefusal => PayoutRefusal,
        crate::prices::PriceRefusal => PriceRefusal,
        crate::refunds::RefundRefusal => RefundRefusal,
        crate::regions::RegionRefusal => RegionRefusal,
        crate::search::SearchRefusal => SearchRefusal,
        crate::sessions::SessionRefusal => SessionRefusal,
        crate::shipping::ShippingRefusal => ShippingRefusal,
        crate::tenants::TenantRefusal => TenantRefusal,
        crate::vendors::VendorRefusal => VendorRefusal,
    ]
}

/// A use case's typed refusal.
pub trait Refusal: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static {
    fn kind(&self) -> Kind;
    /// A stable code for programs to branch on, e.g. `cart_not_found`.
    fn code(&self) -> &'static str;
    /// The values the message is made of, by name (`{"sku": "TEE-M",
    /// "available": 2}`), so a program need not parse the message.
    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}

/// A value the domain's rules refuse (a bad slug, currency, email...) is
/// refused as unprocessable with the rule's own code; a change the
/// object's state does not allow, as a conflict.
impl Refusal for bazaar_domain::DomainError {
    fn kind(&self) -> Kind {
        if Self::is_state_conflict(self.code) {
            Kind::Conflict
        } else {
            Kind::Unprocessable
        }
    }

    fn code(&self) -> &'static str {
        self.code
    }
}

/// Why a use case did not succeed: a refusal (the caller's to fix), the
/// database (the service's: busy, unreachable, or a bug), or a bug in the
/// service itself.
#[derive(Debug)]
pub enum Failure<R> {
    Refused(R),
    Store(StoreError),
    /// Something that cannot fail did (a password hash that does not
    /// parse, a worker thread that panicked): the cause, for the log.
    Internal(String),
}

/// A use case's result.
pub type Outcome<T, R> = Result<T, Failure<R>>;

impl<R> From<StoreError> for Failure<R> {
    fn from(err: StoreError) -> Self {
        Failure::Store(err)
    }
}

impl<R: Refusal> From<R> for Failure<R> {
    fn from(refusal: R) -> Self {
        Failure::Refused(refusal)
    }
}

impl<R> Failure<R> {
    /// Re-type the refusal (a use case passing on another's refusal).
    pub fn map<S>(self, f: impl FnOnce(R) -> S) -> Failure<S> {
        match self {
            Failure::Refused(r) => Failure::Refused(f(r)),
            Failure::Store(e) => Failure::Store(e),
            Failure::Internal(cause) => Failure::Internal(cause),
        }
    }
}

/// Declare a refusal enum: each variant with its [`Kind`], stable code and
/// message (a `format!` string over the variant's fields), or `delegate`
/// for a variant wrapping another capability's refusal.
///
/// ```ignore
/// refusals! {
///     /// Why a cart cannot be changed.
///     pub enum CartRefusal {
///         NotFound => NotFound, "cart_not_found", "no cart with that id";
///         TooMany { max: u32 } => Unprocessable, "too_many", "at most {max}";
///         Session(SessionRefusal) => delegate;
///     }
/// }
/// ```
#[macro_export]
macro_rules! refusals {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($body:tt)*
        }
    ) => {
        $crate::refusals!(@parse [$(#[$meta])*] $vis $name [] [] [] [] [] [] $($body)*);
    };
    // A variant with fields.
    (@parse $m:tt $vis:vis $name:ident [$($v:tt)*] [$($k:tt)*] [$($c:tt)*] [$($x:tt)*] [$($d:tt)*] [$($e:tt)*]
        $(#[$vm:meta])* $var:ident { $($f:ident : $t:ty),* $(,)? } => $kind:ident $({ $($kf:ident : $ke:expr),* })?, $code:literal, $msg:literal ; $($rest:tt)*
    ) => {
        $crate::refusals!(@parse $m $vis $name
            [$($v)* $(#[$vm])* #[error($msg)] $var { $($f : $t),* },]
            [$($k)* Self::$var { $($f),* } => $crate::refusal::Kind::$kind $({ $($kf : $ke),* })?,]
            [$($c)* Self::$var { .. } => $code,]
            [$($x)* Self::$var { $($f),* } => {
                let mut details = serde_json::Map::new();
                $(details.insert(stringify!($f).to_owned(), serde_json::json!($f));)*
                details
            }]
            [$($d)*]
            [$($e)* $crate::refusal::CodeInfo {
                code: $code,
                kind: $crate::refusal::kind_of::$kind,
                message: $msg,
                details: &[$(stringify!($f)),*],
            },]
            $($rest)*);
    };
    // A variant without fields.
    (@parse $m:tt $vis:vis $name:ident [$($v:tt)*] [$($k:tt)*] [$($c:tt)*] [$($x:tt)*] [$($d:tt)*] [$($e:tt)*]
        $(#[$vm:meta])* $var:ident => $kind:ident, $code:literal, $msg:literal ; $($rest:tt)*
    ) => {
        $crate::refusals!(@parse $m $vis $name
            [$($v)* $(#[$vm])* #[error($msg)] $var,]
            [$($k)* Self::$var => $crate::refusal::Kind::$kind,]
            [$($c)* Self::$var => $code,]
            [$($x)* Self::$var => serde_json::Map::new(),]
            [$($d)*]
            [$($e)* $crate::refusal::CodeInfo {
                code: $code,
                kind: $crate::refusal::kind_of::$kind,
                message: $msg,
                details: &[],
            },]
            $($rest)*);
    };
    // Another capability's refusal, passed on as it is.
    (@parse $m:tt $vis:vis $name:ident [$($v:tt)*] [$($k:tt)*] [$($c:tt)*] [$($x:tt)*] [$($d:tt)*] [$($e:tt)*]
        $(#[$vm:meta])* $var:ident ( $inner:ty ) => delegate ; $($rest:tt)*
    ) => {
        $crate::refusals!(@parse $m $vis $name
            [$($v)* $(#[$vm])* #[error("{0}")] $var($inner),]
            [$($k)* Self::$var(inner) => $crate::refusal::Refusal::kind(inner),]
            [$($c)* Self::$var(inner) => $crate::refusal::Refusal::code(inner),]
            [$($x)* Self::$var(inner) => $crate::refusal::Refusal::details(inner),]
            [$($d)* impl From<$inner> for $name {
                fn from(inner: $inner) -> Self {
                    Self::$var(inner)
                }
            }
            impl From<$inner> for $crate::refusal::Failure<$name> {
                fn from(inner: $inner) -> Self {
                    $crate::refusal::Failure::Refused($name::$var(inner))
                }
            }
            impl From<$crate::refusal::Failure<$inner>> for $crate::refusal::Failure<$name> {
                fn from(failure: $crate::refusal::Failure<$inner>) -> Self {
                    failure.map($name::$var)
                }
            }]
            [$($e)*]
            $($rest)*);
    };
    (@parse [$($meta:tt)*] $vis:vis $name:ident [$($v:tt)*] [$($k:tt)*] [$($c:tt)*] [$($x:tt)*] [$($d:tt)*] [$($e:tt)*]) => {
        $($meta)*
        #[derive(Debug, thiserror::Error)]
        $vis enum $name {
            $($v)*
        }

        impl $crate::refusal::Refusal for $name {
            // A kind may read a field (a retry delay); most do not.
            #[allow(unused_variables)]
            fn kind(&self) -> $crate::refusal::Kind {
                match self {
                    $($k)*
                }
            }

            fn code(&self) -> &'static str {
                match self {
                    $($c)*
                }
            }

            fn details(&self) -> serde_json::Map<String, serde_json::Value> {
                match self {
                    $($x)*
                }
            }
        }

        impl $name {
            /// The codes this refusal answers with itself (not those of
            /// the refusals it passes on), for the problem catalog.
            pub const CODES: &'static [$crate::refusal::CodeInfo] = &[$($e)*];
        }

        $($d)*
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    refusals! {
        /// Inner.
        pub enum Inner {
            Gone => NotFound, "gone", "it is gone";
        }
    }

    refusals! {
        /// Outer.
        pub enum Outer {
            /// Short.
            Short { have: u32, want: u32 } => Conflict, "short", "only {have} of {want}";
            Slow { secs: u64 } => TooMany { retry_after: *secs }, "slow", "wait {secs} s";
            Wrapped(Inner) => delegate;
        }
    }

    #[test]
    fn variants_carry_kind_code_and_message() {
        let r = Outer::Short { have: 1, want: 3 };
        assert_eq!(r.kind(), Kind::Conflict);
        assert_eq!(r.code(), "short");
        assert_eq!(r.to_string(), "only 1 of 3");
        let slow = Outer::Slow { secs: 7 };
        assert_eq!(slow.kind(), Kind::TooMany { retry_after: 7 });
        assert_eq!(
            serde_json::Value::Object(r.details()),
            serde_json::json!({ "have": 1, "want": 3 })
        );
        let wrapped: Outer = Inner::Gone.into();
        assert_eq!(wrapped.kind(), Kind::NotFound);
        assert_eq!(wrapped.code(), "gone");
        assert_eq!(wrapped.to_string(), "it is gone");
        assert_eq!(Outer::CODES.len(), 2, "own codes only");
        assert_eq!(Outer::CODES[0].details, ["have", "want"]);
        assert_eq!(Outer::CODES[1].kind, Kind::TooMany { retry_after: 0 });
        assert_eq!(Inner::CODES[0].code, "gone");
        let failure: Failure<Outer> = Failure::<Inner>::Refused(Inner::Gone).into();
        assert!(matches!(
            failure,
            Failure::Refused(Outer::Wrapped(Inner::Gone))
        ));
    }
}
