ALTER TABLE subscribers DROP COLUMN confirmed_at;
ALTER TABLE sign_in_links DROP COLUMN subscriber_name;
ALTER TABLE sign_in_links DROP COLUMN purpose;
