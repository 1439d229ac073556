-- The birth in force of every Sparkplug edge node and device: its alias -> metric name map (JSON).
SELECT ts, grp, node, device, aliases
FROM {{sparkplug_births}}
LATEST ON ts PARTITION BY grp, node, device;
