-- Fair shares of shared machinery, and a public log that commits to nothing guessable.

-- When a subscription was last given a delivery turn: claims go to the longest waiting
-- first, a subscriber at a time up to its share of the slots.
ALTER TABLE webhook_subscriptions ADD COLUMN turn_at TIMESTAMP;
-- A replay in progress: from which seq, up to the head at the time it was asked for.
-- A second replay that this one covers is folded into it.
ALTER TABLE webhook_subscriptions ADD COLUMN replay_from BIGINT;
ALTER TABLE webhook_subscriptions ADD COLUMN replay_until BIGINT;
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);

-- A secret random salt per entry, kept privately: the entry's hash and its leaf commit
-- to who acted and what changed without letting anyone confirm a guess. The operator
-- can reveal one entry's salt to prove its content. Entries written before have none.
ALTER TABLE audit_log ADD COLUMN salt TEXT;
-- Limits on how often one actor may write count its entries of the last hour.
CREATE INDEX audit_log_actor ON audit_log (actor, at);

-- A key retired as compromised: tokens it signed end with it.
ALTER TABLE signing_keys ADD COLUMN compromised_at TIMESTAMP;

-- A link that accepts one membership (the registration's first owner, an invitation):
-- memberships are the invitee's to accept, never entered by signing in alone.
ALTER TABLE sign_in_links ADD COLUMN member_id TEXT;
