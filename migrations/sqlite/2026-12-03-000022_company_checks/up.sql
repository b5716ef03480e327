-- What Companies House says of each supplier's company number: the registered name,
-- status and incorporation date of the latest answer, the flags they raise, and when
-- the registry last asked (and, while asking fails, why).
CREATE TABLE company_checks (
    supplier_id     TEXT PRIMARY KEY NOT NULL REFERENCES suppliers (id),
    -- The number asked about: a supplier whose number changed is asked again.
    company_number  TEXT NOT NULL,
    -- found or not_found; null until an answer came.
    outcome         TEXT,
    registered_name TEXT,
    company_status  TEXT,
    incorporated_on DATE,
    -- The flags raised, as a JSON array of words (dissolved, insolvency, name_mismatch,
    -- not_found).
    flags           TEXT NOT NULL,
    checked_at      TIMESTAMP,
    attempted_at    TIMESTAMP NOT NULL,
    attempt_error   TEXT
);
CREATE INDEX company_checks_checked_at ON company_checks (checked_at);

-- One instance asks at a time, so the rate limit holds across instances.
INSERT INTO job_leases (name) VALUES ('companies_house');
