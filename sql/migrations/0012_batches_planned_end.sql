-- When a batch is planned to end, as the MES plans it: a planned batch's end before it runs, and a
-- running batch's expected end (ended_at stays the actual end, known once it is done). Maintenance
-- windows are fitted between batches by these; without one, a batch lasts the median duration of
-- its product on its equipment.
ALTER TABLE {{batches}} ADD COLUMN IF NOT EXISTS planned_end TIMESTAMP;
