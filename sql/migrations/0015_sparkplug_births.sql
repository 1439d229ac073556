-- The Sparkplug B births the MQTT source has read: each edge node's and device's metric names and
-- aliases (JSON), so a worker that restarts, or another worker of a shared subscription, reads the
-- data messages queued for it by alias without waiting for a rebirth. One row per birth; the latest
-- per (grp, node, device) is in force (device '' for the node's own metrics).
CREATE TABLE IF NOT EXISTS {{sparkplug_births}} (
  ts TIMESTAMP,
  grp SYMBOL,
  node SYMBOL,
  device SYMBOL,
  aliases STRING
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, grp, node, device);
