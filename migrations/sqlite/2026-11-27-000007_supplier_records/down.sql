DROP TABLE supplier_records;
