DROP TABLE reminders_off;
