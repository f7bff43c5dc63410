-- Usage totals for runs recorded before usage_daily was kept up to date: each run's events,
-- per day, provider and model. A profile migrated before it had any run adds nothing here;
-- later runs (and seeding) record their own usage.
INSERT INTO usage_daily (date, provider, model, tokens_in, tokens_out, cost, calls)
SELECT substr(started_at, 1, 10),
       CASE WHEN instr(actor, '/') > 0 THEN substr(actor, 1, instr(actor, '/') - 1) ELSE 'unknown' END,
       CASE WHEN instr(actor, '/') > 0 THEN substr(actor, instr(actor, '/') + 1) ELSE actor END,
       sum(tokens_in), sum(tokens_out), sum(cost), count(*)
FROM run_events
WHERE NOT EXISTS (SELECT 1 FROM usage_daily)
GROUP BY 1, 2, 3;
