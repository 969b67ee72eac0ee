-- Each rollup row's visitors estimate (aggregate.Sketch.Estimate of its
-- sketch), stored beside the sketch when the row is written. A dashboard
-- reading one row per (day, value) sums these and never reads the sketch
-- column; rows written before this column existed read -1, "unknown", and
-- fall back to their sketch. 18.16 has no ADD COLUMN IF NOT EXISTS: the
-- migration runner treats "already exists" as done (two instances racing).
ALTER TABLE rollups ADD COLUMN visitors Int64 DEFAULT -1;
