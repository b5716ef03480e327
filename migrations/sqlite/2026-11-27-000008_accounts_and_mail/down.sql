DELETE FROM job_leases WHERE name = 'reminders';
DROP TABLE outbox;
ALTER TABLE tokens DROP COLUMN kind;
ALTER TABLE tokens DROP COLUMN member_id;
ALTER TABLE tokens DROP COLUMN scope;
DROP TABLE sign_in_links;
DROP TABLE members;
