DROP INDEX audit_log_supplier;
