//! Domain values as columns: each of the domain's words (a status, a health, a kind of
//! evidence, a certification scheme), ids, web addresses and company numbers are read and
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
use crate::domain::account::{LinkPurpose, MemberRole, Scope, TokenKind};
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind, EvidenceSummary};
use crate::domain::{
    CompanyNumber, ConcernId, EvidenceId, MemberId, OperatorId, ReplyId, SignatureId, Status,
    SubscriberId, SubscriptionId, SupplierId, WebUrl,
};

macro_rules! text_column {
    ($($ty:ident as $proxy:ident, written as $form:ident, read by $read:expr);+ $(;)?) => {$(
        // diesel's derives, for a type of the domain, which knows no storage.
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(foreign_derive, sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        text_column!(@write $form $ty);

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

    // A value that holds its stored text: bound without a copy.
    (@write its_text $ty:ident) => {
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
    };

    // An id: its hyphenated text, formatted when bound.
    (@write hyphenated $ty:ident) => {
        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_db());
                Ok(serialize::IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                use std::io::Write;
                write!(out, "{}", self.0.hyphenated())?;
                Ok(serialize::IsNull::No)
            }
        }
    };
}

/// Ids are each their own type, so a supplier id cannot be written where an evidence
/// id belongs.
fn id<T: std::str::FromStr<Err = uuid::Error>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|e: uuid::Error| e.to_string())
}

text_column!(
    Status as StatusColumn, written as its_text, read by str::parse;
    EvidenceHealth as HealthColumn, written as its_text, read by str::parse;
    EvidenceKind as KindColumn, written as its_text, read by str::parse;
    EvidenceSummary as SummaryColumn, written as its_text, read by str::parse;
    CertScheme as SchemeColumn, written as its_text, read by str::parse;
    WebUrl as UrlColumn, written as its_text, read by |s| WebUrl::try_from(s);
    CompanyNumber as CompanyNumberColumn, written as its_text, read by |s| CompanyNumber::try_from(s);
    SupplierId as SupplierIdColumn, written as hyphenated, read by id;
    SignatureId as SignatureIdColumn, written as hyphenated, read by id;
    EvidenceId as EvidenceIdColumn, written as hyphenated, read by id;
    MemberId as MemberIdColumn, written as hyphenated, read by id;
    SubscriberId as SubscriberIdColumn, written as hyphenated, read by id;
    SubscriptionId as SubscriptionIdColumn, written as hyphenated, read by id;
    ConcernId as ConcernIdColumn, written as hyphenated, read by id;
    OperatorId as OperatorIdColumn, written as hyphenated, read by id;
    ReplyId as ReplyIdColumn, written as hyphenated, read by id;
    MemberRole as MemberRoleColumn, written as its_text, read by str::parse;
    Scope as ScopeColumn, written as its_text, read by str::parse;
    TokenKind as TokenKindColumn, written as its_text, read by str::parse;
    LinkPurpose as LinkPurposeColumn, written as its_text, read by str::parse;
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
    fn ids_are_stored_as_hyphenated_text_and_a_damaged_one_fails_the_read() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let id = SupplierId::new();
        let text: String = select(id.into_sql::<Text>()).get_result(&mut c).unwrap();
        assert_eq!(text, id.0.hyphenated().to_string());
        let back: EvidenceId = select(text.into_sql::<Text>()).get_result(&mut c).unwrap();
        assert_eq!(back.0, id.0);
        let damaged: QueryResult<SignatureId> =
            select("not-an-id".into_sql::<Text>()).get_result(&mut c);
        let err = format!("{:?}", damaged.unwrap_err());
        assert!(
            err.contains("SignatureId") && err.contains("not-an-id"),
            "{err}"
        );
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
