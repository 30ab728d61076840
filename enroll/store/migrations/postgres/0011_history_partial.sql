-- Whether an inventory in a device's history was partial (some sections
-- only), for the console's list of inventories received.
ALTER TABLE inventory_history ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
