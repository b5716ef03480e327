-- Procurement tools may sign up for webhooks themselves, with an address they confirm.
-- The confirming link is a one-time link like a sign-in link; it says what it is for.
ALTER TABLE sign_in_links ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sign_in';
-- On a subscriber link: the name the subscriber asked to be known by.
ALTER TABLE sign_in_links ADD COLUMN subscriber_name TEXT;
-- When the subscriber's address was last confirmed by a link sent to it (none: added
-- by the operator and never confirmed).
ALTER TABLE subscribers ADD COLUMN confirmed_at TIMESTAMP;
