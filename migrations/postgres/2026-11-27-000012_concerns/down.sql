DROP TABLE concerns;
