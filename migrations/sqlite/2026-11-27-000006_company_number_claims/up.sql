-- Unverified claims on a company number may coexist: registering first with another
-- company's number no longer locks that company out. The operator's verification
-- settles which supplier holds a number, so only one verified supplier may hold it.
-- SQLite cannot drop a column's UNIQUE, so the table is rebuilt, in the way SQLite
-- documents for it: with foreign keys off (which only takes effect outside a
-- transaction, hence metadata.toml), in one transaction, checked before commit.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE suppliers_new (
    id             TEXT PRIMARY KEY NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    search_name    TEXT NOT NULL,
    website        TEXT NOT NULL,
    company_number TEXT,
    description    TEXT NOT NULL,
    products       TEXT NOT NULL,
    contact_name   TEXT NOT NULL,
    contact_email  TEXT NOT NULL,
    verified_at    TIMESTAMP,
    status         TEXT NOT NULL,
    signed_version TEXT,
    revision       BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
INSERT INTO suppliers_new
    SELECT id, slug, name, search_name, website, company_number, description, products,
           contact_name, contact_email, verified_at, status, signed_version, revision,
           created_at, updated_at
    FROM suppliers;
DROP TABLE suppliers;
ALTER TABLE suppliers_new RENAME TO suppliers;

CREATE INDEX suppliers_search_name ON suppliers (search_name);
CREATE INDEX suppliers_status ON suppliers (status, slug);
CREATE INDEX suppliers_updated_at ON suppliers (updated_at);
CREATE INDEX suppliers_search ON suppliers (slug, search_name, company_number);
CREATE INDEX suppliers_company_number ON suppliers (company_number);
CREATE UNIQUE INDEX suppliers_verified_company_number ON suppliers (company_number)
    WHERE verified_at IS NOT NULL;

-- Every reference to a supplier still finds it (the query returns no rows then; a
-- violation makes the insert below fail on its NOT NULL column, rolling back).
CREATE TEMP TABLE fk_violations (n INTEGER NOT NULL);
INSERT INTO fk_violations SELECT CASE WHEN COUNT(*) = 0 THEN 0 ELSE NULL END FROM pragma_foreign_key_check;
DROP TABLE fk_violations;
COMMIT;
PRAGMA foreign_keys = ON;
