-- Where a reply to a message goes when it is not the operator: the person who raised a
-- concern, on the operator's copy of it. Older instances write none, which is the
-- operator's address as before.
ALTER TABLE outbox ADD COLUMN reply_to TEXT;
