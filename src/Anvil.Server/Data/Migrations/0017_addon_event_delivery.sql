-- How far the delivery of dispatched events to the addons' event handlers (EventStream.subscribe in
-- addon code, run by the addon HTTP host) has got in the outbox (event_stream, by seq). One instance
-- at a time moves it (the row is locked while it reads a batch), so each dispatch is handed to the
-- handlers once across all instances. It starts where publishing stands: no history is replayed.
CREATE TABLE addon_event_delivery (
    id            integer PRIMARY KEY CHECK (id = 1),
    delivered_seq bigint NOT NULL
);

INSERT INTO addon_event_delivery (id, delivered_seq) SELECT 1, published_seq FROM event_stream_state WHERE id = 1;
