DROP INDEX suppliers_search;
