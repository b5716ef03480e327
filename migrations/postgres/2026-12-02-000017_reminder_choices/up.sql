-- Reminders a member stopped, one kind at a time (from the link in a reminder of that
-- kind, or the account page); `members.reminders_off_at` still stops them all.
CREATE TABLE reminders_off (
    member_id   TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    -- reaffirm_reminder | certification_expiring | new_pledge_version
    kind        TEXT NOT NULL,
    off_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, kind)
);
