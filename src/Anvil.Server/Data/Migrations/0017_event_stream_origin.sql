-- Which instance wrote each outbox row: its database session's application_name, which names the
-- instance (`anvil-<instance id>`). An instance hands the dispatches it made itself to its own addon
-- host's event handlers (AYON's local handlers run in the process that dispatched), so each dispatch
-- reaches them once, on one instance, without the instances agreeing on anything.
ALTER TABLE event_stream ADD COLUMN origin text DEFAULT current_setting('application_name');
