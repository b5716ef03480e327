DELETE FROM job_leases WHERE name = 'companies_house';
DROP TABLE company_checks;
