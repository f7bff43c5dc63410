-- Seeding state: which seed package version was applied, and how far setup got.
ALTER TABLE profile_meta ADD COLUMN seed_version INTEGER;
ALTER TABLE profile_meta ADD COLUMN seed_status TEXT NOT NULL DEFAULT 'pending'
    CHECK (seed_status IN ('pending', 'seeding', 'ready', 'failed'));
ALTER TABLE profile_meta ADD COLUMN seeded_at TEXT;
ALTER TABLE profile_meta ADD COLUMN seed_error TEXT;
