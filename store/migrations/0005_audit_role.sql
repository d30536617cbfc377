-- The role the actor held when acting (admin, viewer, kiosk; empty for the
-- command line and for rows written before this column existed).
ALTER TABLE audit ADD COLUMN role TEXT NOT NULL DEFAULT '';
