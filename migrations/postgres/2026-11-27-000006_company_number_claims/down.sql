DROP INDEX suppliers_verified_company_number;
DROP INDEX suppliers_company_number;
ALTER TABLE suppliers ADD CONSTRAINT suppliers_company_number_key UNIQUE (company_number);
