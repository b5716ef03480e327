//! Suppliers: the organisations in the registry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{evidence, evidence_commitments, supplier_records, suppliers};
use crate::db::{DbConn, MultiBackend};
use crate::domain::{CompanyNumber, Slug, Status, SupplierId, WebUrl};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = suppliers, treat_none_as_null = true)]
pub struct SupplierRow {
    pub id: SupplierId,
    pub slug: String,
    pub name: String,
    pub search_name: String,
    pub website: WebUrl,
    pub company_number: Option<CompanyNumber>,
    pub description: String,
    pub products: String,
    pub contact_name: String,
    pub contact_email: String,
    pub verified_at: Option<NaiveDateTime>,
    pub status: Status,
    pub signed_version: Option<String>,
    pub revision: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SupplierRow {
    pub fn products(&self) -> Vec<String> {
        serde_json::from_str(&self.products).unwrap_or_default()
    }
}

/// The text the `q` filter searches: the name and, on a line of its own, the products
/// as stored (a JSON array), lower-cased.
pub fn search_name(name: &str, products: &str) -> String {
    format!("{}\n{}", name.to_lowercase(), products.to_lowercase())
}

/// By UUID or slug, as public paths allow.
pub fn find(conn: &mut DbConn, id_or_slug: &str) -> QueryResult<Option<SupplierRow>> {
    if id_or_slug.contains('\0') {
        return Ok(None); // no stored slug has one, and PostgreSQL refuses it in a query
    }
    // Two arms, not one boxed filter: a query of fixed shape stays prepared.
    match uuid::Uuid::parse_str(id_or_slug) {
        Ok(id) => {
            let q = suppliers::table.filter(suppliers::id.eq(SupplierId(id)));
            on_backend!(conn, |c| q
                .select(SupplierRow::as_select())
                .first(c)
                .optional())
        }
        Err(_) => {
            let q = suppliers::table.filter(suppliers::slug.eq(id_or_slug.to_ascii_lowercase()));
            on_backend!(conn, |c| q
                .select(SupplierRow::as_select())
                .first(c)
                .optional())
        }
    }
}

/// Holds the supplier's row until the transaction ends: a row lock on PostgreSQL (a
/// second writer waits for the first to commit); SQLite's writers go one at a time.
pub fn lock(conn: &mut DbConn, id: SupplierId) -> QueryResult<()> {
    diesel::update(suppliers::table.find(id))
        .set(suppliers::id.eq(suppliers::id))
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut DbConn, id: SupplierId) -> QueryResult<Option<SupplierRow>> {
    suppliers::table
        .find(id)
        .select(SupplierRow::as_select())
        .first(conn)
        .optional()
}

/// Like [`get`], holding the row until the transaction ends so that concurrent
/// changes to one supplier queue instead of conflicting (PostgreSQL; SQLite writers
/// already hold the database's write lock).
pub fn get_for_update(conn: &mut DbConn, id: SupplierId) -> QueryResult<Option<SupplierRow>> {
    on_backend!(conn,
        postgres: |c| suppliers::table
            .find(id)
            .select(SupplierRow::as_select())
            .for_update()
            .first(c)
            .optional(),
        sqlite: |c| suppliers::table
            .find(id)
            .select(SupplierRow::as_select())
            .first(c)
            .optional(),
    )
}

/// The first free slug among `base`, `base-2`, `base-3`, ...
pub fn free_slug(conn: &mut DbConn, base: &Slug) -> QueryResult<Slug> {
    let pattern = format!("{}%", escape_like(base.as_str()));
    let taken: Vec<String> = suppliers::table
        .filter(suppliers::slug.like(pattern).escape('\\'))
        .select(suppliers::slug)
        .load(conn)?;
    if !taken.iter().any(|s| s == base.as_str()) {
        return Ok(base.clone());
    }
    Ok((2..)
        .map(|n| base.numbered(n))
        .find(|s| !taken.iter().any(|t| t == s.as_str()))
        .unwrap_or_else(|| base.clone()))
}

/// Whether any supplier other than `except` claims `number`, verified or not.
pub fn company_number_taken(
    conn: &mut DbConn,
    number: &str,
    except: Option<SupplierId>,
) -> QueryResult<bool> {
    Ok(!claimants(conn, number, except)?.is_empty())
}

/// The suppliers other than `except` that give `number` as theirs.
pub fn claimants(
    conn: &mut DbConn,
    number: &str,
    except: Option<SupplierId>,
) -> QueryResult<Vec<SupplierRow>> {
    let mut q = suppliers::table
        .filter(suppliers::company_number.eq(number))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(suppliers::id.ne(id));
    }
    q.order(suppliers::created_at.asc())
        .select(SupplierRow::as_select())
        .load(conn)
}

/// The verified supplier other than `except` that holds `number`: the operator settled
/// the number is its. Unverified claims on a number coexist until then.
pub fn company_number_holder(
    conn: &mut DbConn,
    number: &str,
    except: Option<SupplierId>,
) -> QueryResult<Option<SupplierRow>> {
    Ok(claimants(conn, number, except)?
        .into_iter()
        .find(|s| s.verified_at.is_some()))
}

/// Inserts with the first free slug for its name. Another registration of the same
/// name committing meanwhile takes a slug; then the next free one is tried, inside a
/// savepoint so the caller's transaction carries on.
pub fn insert_with_free_slug(conn: &mut DbConn, row: &mut SupplierRow) -> QueryResult<()> {
    use diesel::result::{DatabaseErrorKind, Error};
    let base = Slug::from_name(&row.name);
    let mut attempt = 0;
    loop {
        row.slug = free_slug(conn, &base)?.to_string();
        match conn.transaction(|c| insert(c, row)) {
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if attempt < 50
                    && info.constraint_name().is_none_or(|c| c.contains("slug"))
                    && !info.message().contains("company_number") =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &SupplierRow) -> QueryResult<()> {
    diesel::insert_into(suppliers::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes the whole row back, bumping its revision. A row changed underneath (its
/// revision is no longer `row.revision`) is a conflict: the caller's transaction rolls
/// back and the client retries.
pub fn save(conn: &mut DbConn, row: &mut SupplierRow, now: NaiveDateTime) -> QueryResult<()> {
    let expected = row.revision;
    row.revision += 1;
    row.updated_at = now;
    let n = diesel::update(
        suppliers::table
            .find(&row.id)
            .filter(suppliers::revision.eq(expected)),
    )
    .set(&*row)
    .execute(conn)?;
    if n == 1 {
        Ok(())
    } else {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::SerializationFailure,
            Box::new(format!("supplier {} changed while this write ran", row.id)),
        ))
    }
}

/// Marks a supplier's public view as changed (new ETag) without a full write; with
/// `updated_at`, also as updated for `updated_since`.
pub fn touch(
    conn: &mut DbConn,
    id: SupplierId,
    updated_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let target = suppliers::table.find(id);
    match updated_at {
        Some(at) => diesel::update(target)
            .set((
                suppliers::revision.eq(suppliers::revision + 1),
                suppliers::updated_at.eq(at),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set(suppliers::revision.eq(suppliers::revision + 1))
            .execute(conn)?,
    };
    Ok(())
}

/// Filters of the public list; every one is optional.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub q: Option<String>,
    /// Each filter below matches any of its values; an empty one matches everyone.
    pub status: Vec<String>,
    pub commitment: Vec<String>,
    pub evidence_health: Vec<String>,
    /// The evidence at a glance (`all_ok`, `some_failing`, ...), as the record says.
    pub evidence_summary: Vec<String>,
    pub pledge_version: Vec<String>,
    /// Only suppliers whose identity the registry verified, and that have signed.
    pub signatories_only: bool,
    pub updated_since: Option<NaiveDateTime>,
    /// Only slugs after this one (keyset pagination).
    pub after_slug: Option<String>,
    /// Rows skipped before the page (the pages' numbered pagination; the API uses
    /// `after_slug`).
    pub offset: i64,
    pub limit: i64,
}

/// What a list of suppliers shows of each: a subset of [`SupplierRow`] (reading every
/// column and parsing every time in it was half the cost of a list page).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suppliers)]
pub struct SummaryRow {
    pub id: SupplierId,
    pub slug: String,
    pub name: String,
    pub website: WebUrl,
    pub company_number: Option<CompanyNumber>,
    pub status: Status,
    pub signed_version: Option<String>,
    #[diesel(select_expression = suppliers::verified_at.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<suppliers::verified_at>)]
    pub verified: bool,
    pub updated_at: NaiveDateTime,
}

impl From<SupplierRow> for SummaryRow {
    fn from(row: SupplierRow) -> Self {
        SummaryRow {
            verified: row.verified_at.is_some(),
            id: row.id,
            slug: row.slug,
            name: row.name,
            website: row.website,
            company_number: row.company_number,
            status: row.status,
            signed_version: row.signed_version,
            updated_at: row.updated_at,
        }
    }
}

/// Every supplier's id, in id order.
pub fn all_ids(conn: &mut DbConn) -> QueryResult<Vec<SupplierId>> {
    suppliers::table
        .select(suppliers::id)
        .order(suppliers::id.asc())
        .load(conn)
}

/// How many suppliers pass the filters, over every page (the cursor and limit aside).
pub fn count_matching(conn: &mut DbConn, f: &ListFilter) -> QueryResult<i64> {
    let all = ListFilter {
        after_slug: None,
        ..f.clone()
    };
    filtered(&all).count().get_result(conn)
}

/// The first `limit` suppliers, by name, that pass the filters, whatever their
/// status: the operator's search.
pub fn matching(conn: &mut DbConn, f: &ListFilter, limit: i64) -> QueryResult<Vec<SupplierRow>> {
    filtered(f)
        .order((suppliers::name.asc(), suppliers::id.asc()))
        .limit(limit)
        .select(SupplierRow::as_select())
        .load(conn)
}

/// Suppliers that pass every filter given.
fn filtered(f: &ListFilter) -> suppliers::BoxedQuery<'static, MultiBackend> {
    filter_suppliers!(suppliers::table.into_boxed::<MultiBackend>(), f)
}

/// Applies a list's filters to a boxed query over `suppliers` (alone, or joined with
/// the stored records).
macro_rules! filter_suppliers {
    ($query:expr, $f:expr) => {{
        let f: &ListFilter = $f;
        let mut q = $query;
        if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            let upper = text.to_ascii_uppercase();
            q = q.filter(
                suppliers::search_name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(suppliers::slug.like(pattern).escape('\\'))
                    .or(suppliers::company_number.eq(upper)),
            );
        }
        if !f.status.is_empty() {
            q = q.filter(suppliers::status.eq_any(f.status.clone()));
        }
        if !f.pledge_version.is_empty() {
            q = q.filter(suppliers::signed_version.eq_any(f.pledge_version.clone()));
        }
        if let Some(since) = f.updated_since {
            q = q.filter(suppliers::updated_at.ge(since));
        }
        if !f.commitment.is_empty() {
            let with_evidence = evidence::table
                .inner_join(evidence_commitments::table)
                .filter(evidence::retired_at.is_null())
                .filter(evidence_commitments::commitment_code.eq_any(f.commitment.clone()))
                .select(evidence::supplier_id);
            q = q.filter(suppliers::id.eq_any(with_evidence));
        }
        if !f.evidence_health.is_empty() {
            let with_health = evidence::table
                .filter(evidence::retired_at.is_null())
                .filter(evidence::health.eq_any(f.evidence_health.clone()))
                .select(evidence::supplier_id);
            q = q.filter(suppliers::id.eq_any(with_health));
        }
        if !f.evidence_summary.is_empty() {
            // Aliased: the query may join the stored records already.
            let records = diesel::alias!(supplier_records as summaries);
            let with_summary = records
                .filter(
                    records
                        .field(supplier_records::evidence_summary)
                        .eq_any(f.evidence_summary.clone()),
                )
                .select(records.field(supplier_records::supplier_id));
            q = q.filter(suppliers::id.eq_any(with_summary));
        }
        if f.signatories_only {
            q = q
                .filter(suppliers::verified_at.is_not_null())
                .filter(suppliers::status.ne(crate::domain::Status::Unsigned));
        }
        if let Some(after) = &f.after_slug {
            q = q.filter(suppliers::slug.gt(after.clone()));
        }
        q
    }};
}
use filter_suppliers;

/// One page of stored records or list items, as (slug, JSON), ordered by slug: one
/// query (two for a text search, which finds the page's slugs first).
pub fn stored_page(
    conn: &mut DbConn,
    f: &ListFilter,
    what: Stored,
) -> QueryResult<Vec<(String, String)>> {
    let column = |q: StoredQuery| match what {
        Stored::Record => q.select((suppliers::slug, supplier_records::record)),
        Stored::Summary => q.select((suppliers::slug, supplier_records::summary)),
    };
    let joined = || {
        suppliers::table
            .inner_join(supplier_records::table)
            .into_boxed::<MultiBackend>()
    };
    if f.q.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        let slugs: Vec<String> = filtered(f)
            .select(suppliers::slug)
            .order(suppliers::slug.asc())
            .limit(f.limit)
            .offset(f.offset)
            .load(conn)?;
        column(joined().filter(suppliers::slug.eq_any(slugs)))
            .order(suppliers::slug.asc())
            .load(conn)
    } else {
        column(filter_suppliers!(joined(), f))
            .order(suppliers::slug.asc())
            .limit(f.limit)
            .offset(f.offset)
            .load(conn)
    }
}

/// Which stored JSON a page reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Record,
    Summary,
}

type StoredQuery = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<suppliers::table, supplier_records::table>,
    MultiBackend,
>;

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
