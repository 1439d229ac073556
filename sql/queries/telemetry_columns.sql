-- The telemetry table's columns (to create the sensors a plant file adds).
SELECT "column" AS name, type FROM table_columns('{{telemetry}}');
