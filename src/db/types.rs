//! Domain values as columns: each of the domain's words (a status, a health, a kind of
//! evidence, a certification scheme), web addresses and company numbers are read and
//! written as their types, stored as text on both backends. A stored value the domain
//! does not accept fails the query that reads it, as any damaged row does; no caller
//! parses strings.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::MultiBackend;
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::{CompanyNumber, Status, WebUrl};

macro_rules! text_column {
    ($($ty:ident as $proxy:ident, read by $read:expr);+ $(;)?) => {$(
        // diesel's derives, for a type of the domain, which knows no storage.
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(foreign_derive, sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.as_str());
                Ok(serialize::IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, MultiBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(serialize::IsNull::No)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let word = String::from_sql(bytes)?;
                let read: fn(&str) -> Result<$ty, String> = $read;
                read(&word).map_err(|e| format!("stored {} {word:?}: {e}", stringify!($ty)).into())
            }
        }
    )+};
}

text_column!(
    Status as StatusColumn, read by str::parse;
    EvidenceHealth as HealthColumn, read by str::parse;
    EvidenceKind as KindColumn, read by str::parse;
    CertScheme as SchemeColumn, read by str::parse;
    WebUrl as UrlColumn, read by |s| WebUrl::try_from(s);
    CompanyNumber as CompanyNumberColumn, read by |s| CompanyNumber::try_from(s);
);

#[cfg(test)]
mod tests {
    use diesel::dsl::select;
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;

    #[test]
    fn words_are_written_and_read_as_their_types() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        for status in Status::ALL {
            let word: String = select(status.into_sql::<Text>())
                .get_result(&mut c)
                .unwrap();
            assert_eq!(word, status.as_str());
            let back: Status = select(word.into_sql::<Text>()).get_result(&mut c).unwrap();
            assert_eq!(back, *status);
        }
        let scheme: Option<CertScheme> =
            select(None::<String>.into_sql::<diesel::sql_types::Nullable<Text>>())
                .get_result(&mut c)
                .unwrap();
        assert_eq!(scheme, None);
    }

    #[test]
    fn a_word_the_domain_does_not_know_fails_the_read() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let read: QueryResult<EvidenceHealth> =
            select("mostly_fine".into_sql::<Text>()).get_result(&mut c);
        let err = format!("{:?}", read.unwrap_err());
        assert!(
            err.contains("EvidenceHealth") && err.contains("mostly_fine"),
            "{err}"
        );
    }
}
