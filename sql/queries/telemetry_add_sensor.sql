-- A sensor the plant file declares becomes a telemetry column ({{sensor}}: a validated identifier).
ALTER TABLE {{telemetry}} ADD COLUMN IF NOT EXISTS {{sensor}} DOUBLE;
