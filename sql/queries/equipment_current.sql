-- The current ISA-95 place of every equipment (latest record each).
SELECT equipment, site, area, line, cell, equipment_class, installed_at
FROM {{equipment}}
LATEST ON updated_at PARTITION BY equipment;
