//! Enums whose values travel as words (tiers, bands, bases, roles, token scopes…). Each is
//! declared once with [`named_enum!`], which gives it its wire names, `ALL`, `as_str`,
//! `Display`, `FromStr`, and serde (and, with the `openapi` feature, its schema) from that one
//! list: the API, the store, the config and the UI all read the names from there.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// A word that names no value of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What the enum is, in words (`environment tier`).
    pub what: &'static str,
    /// The word given, made printable and cut to 60 characters.
    pub given: String,
    pub accepted: &'static [&'static str],
}

impl UnknownName {
    pub fn new(what: &'static str, given: &str, accepted: &'static [&'static str]) -> Self {
        UnknownName {
            what,
            given: crate::text::printable(given, 60),
            accepted,
        }
    }
}

/// `a, b or c`.
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let article = if self.what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        write!(
            f,
            "`{}` is not {article} {}; expected {}",
            self.given,
            self.what,
            one_of(self.accepted)
        )
    }
}

impl std::error::Error for UnknownName {}

/// Deserializes any `FromStr` type from a string, with its own error message.
pub struct NameVisitor<T>(PhantomData<T>);

impl<T> Default for NameVisitor<T> {
    fn default() -> Self {
        NameVisitor(PhantomData)
    }
}

impl<T: FromStr<Err = UnknownName>> serde::de::Visitor<'_> for NameVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

/// Declares a fieldless enum and the one word each value is written as:
///
/// ```
/// nagare_core::named_enum! {
///     /// A colour.
///     #[derive(Default)]
///     pub enum Colour as "colour" {
///         #[default]
///         Red = "red",
///         DarkBlue = "dark_blue",
///     }
/// }
/// assert_eq!("dark_blue".parse::<Colour>(), Ok(Colour::DarkBlue));
/// assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
/// assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "\"red\"");
/// assert_eq!(
///     "blue".parse::<Colour>().unwrap_err().to_string(),
///     "`blue` is not a colour; expected red or dark_blue"
/// );
/// ```
///
/// It derives `Debug, Clone, Copy, PartialEq, Eq, Hash`; add others with `#[derive]`.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];
            /// The wire name of every value, in the order of `ALL`.
            pub const NAMES: [&'static str; [$($text),+].len()] = [$($text),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::names::UnknownName::new($what, s, &Self::NAMES)),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str($crate::names::NameVisitor::<$name>::default())
            }
        }

        $crate::named_enum_schema!($name, $what, [$($text),+]);
    };
}

/// The OpenAPI schema of a [`named_enum!`]: a string, one of its names.
#[cfg(feature = "openapi")]
#[macro_export]
#[doc(hidden)]
macro_rules! named_enum_schema {
    ($name:ident, $what:literal, [$($text:literal),+]) => {
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .description(Some(concat!("A ", $what, ": one of ", $(" `", $text, "`"),+, ".")))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}

#[cfg(not(feature = "openapi"))]
#[macro_export]
#[doc(hidden)]
macro_rules! named_enum_schema {
    ($name:ident, $what:literal, [$($text:literal),+]) => {};
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::named_enum! {
        #[derive(PartialOrd, Ord)]
        enum Size as "size" { Small = "small", Large = "large" }
    }

    #[test]
    fn names_round_trip_and_errors_list_what_is_accepted() {
        for s in Size::ALL {
            assert_eq!(s.as_str().parse::<Size>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Size>(&json).unwrap(), s);
        }
        assert!(Size::Small < Size::Large);
        let e = "Small\u{7}".parse::<Size>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`Small\\u{7}` is not a size; expected small or large"
        );
        let e = serde_json::from_str::<Size>("\"medium\"").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`medium` is not a size; expected small or large"),
            "{e}"
        );
        assert!(serde_json::from_str::<Size>("3").is_err());
        assert_eq!(one_of(&["a", "b", "c"]), "a, b or c");
    }
}
