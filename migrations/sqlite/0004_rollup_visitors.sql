-- Each rollup row's visitors estimate (aggregate.Sketch.Estimate of its
-- sketch), stored beside the sketch when the row is written, so a query
-- that finds one row per (day, value) need not decode the sketch. Rows
-- written before read -1, "unknown", and fall back to their sketch.
ALTER TABLE rollups ADD COLUMN visitors INTEGER NOT NULL DEFAULT -1;
