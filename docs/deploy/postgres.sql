-- The catalog database: one role that owns one database (the service creates and migrates its tables at start).
-- Run once as a superuser: psql -h db.internal -U postgres -f docs/deploy/postgres.sql
CREATE ROLE yardstick LOGIN PASSWORD 'change-me';
CREATE DATABASE yardstick OWNER yardstick;
