-- Unverified claims on a company number may coexist: registering first with another
-- company's number no longer locks that company out. The operator's verification
-- settles which supplier holds a number, so only one verified supplier may hold it.
ALTER TABLE suppliers DROP CONSTRAINT suppliers_company_number_key;
CREATE INDEX suppliers_company_number ON suppliers (company_number);
CREATE UNIQUE INDEX suppliers_verified_company_number ON suppliers (company_number)
    WHERE verified_at IS NOT NULL;
