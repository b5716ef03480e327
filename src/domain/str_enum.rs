//! Enums stored and sent as fixed lower-case words.

/// Declares an enum whose variants each have one wire and database spelling. Every
/// variant's doc comment is its meaning: the OpenAPI schema lists it beside the word
/// (in the description, and as `x-enumDescriptions` for tools that show it).
#[macro_export]
macro_rules! str_enum {
    ($(#[doc = $doc:literal])+ $name:ident { $($(#[doc = $vdoc:literal])+ $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[doc = $vdoc])+ #[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// What the word means, from the variant's doc comment.
            pub fn meaning(&self) -> &'static str {
                match self {
                    $($name::$variant => concat!($($vdoc),+).trim_ascii()),+
                }
            }

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// Every accepted word, for error messages.
            pub fn choices() -> String {
                [$($word),+].join(", ")
            }
        }

        // Written out rather than derived: the schema must list the wire words.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let meanings: Vec<(&str, &str)> =
                    $name::ALL.iter().map(|v| (v.as_str(), v.meaning())).collect();
                let list: String = meanings
                    .iter()
                    .map(|(word, meaning)| format!("\n- `{word}`: {meaning}"))
                    .collect();
                let described = utoipa::openapi::extensions::ExtensionsBuilder::new()
                    .add(
                        "x-enumDescriptions",
                        meanings
                            .iter()
                            .map(|(w, m)| ((*w).to_owned(), serde_json::Value::from(*m)))
                            .collect::<serde_json::Map<_, _>>(),
                    )
                    .build();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(format!("{}{list}", concat!($($doc),+).trim_ascii())))
                    .enum_values(Some([$($word),+]))
                    .extensions(Some(described))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", $name::choices())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
