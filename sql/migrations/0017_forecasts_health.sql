-- The anomaly model's health index beside each primary forecast (1 healthy ... 0; 0.5 = as unusual
-- as the 1 % most unusual normal instants), and the sensor departing most from normal. A row of an
-- equipment with no failure model yet carries only these (probability NULL).
ALTER TABLE {{forecasts}} ADD COLUMN IF NOT EXISTS health DOUBLE;
ALTER TABLE {{forecasts}} ADD COLUMN IF NOT EXISTS health_driver SYMBOL;
