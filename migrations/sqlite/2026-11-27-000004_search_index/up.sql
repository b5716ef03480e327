-- Text search walks suppliers in slug order testing the name, slug and company number.
-- With those in one index it reads only the index until a row matches, instead of
-- fetching every supplier row it passes (see supplier::list).
CREATE INDEX suppliers_search ON suppliers (slug, search_name, company_number);
