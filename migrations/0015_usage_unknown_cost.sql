-- A call whose price is unknown costs "unknown", not zero: its cost stays out of `cost`, and
-- `unknown_cost_calls` counts it, so every total can say that part of it is not known.
ALTER TABLE usage_daily ADD COLUMN unknown_cost_calls INTEGER NOT NULL DEFAULT 0
    CHECK (unknown_cost_calls >= 0);
