DROP INDEX suppliers_verified_company_number;
DROP INDEX suppliers_company_number;
CREATE UNIQUE INDEX suppliers_company_number_unique ON suppliers (company_number);
