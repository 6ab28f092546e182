-- The outbox holds one row per writing statement instead of one per message: a batch of a thousand
-- creates writes one row of a thousand messages, which the publisher numbers with one update (seq
-- is the position of the first message; the others follow it) and deletes with one delete. Per
-- message, numbering cost as much as writing the event itself.
ALTER TABLE event_stream ADD COLUMN messages jsonb, ADD COLUMN message_count integer;
UPDATE event_stream SET messages = jsonb_build_array(message), message_count = 1;
ALTER TABLE event_stream
    ALTER COLUMN messages SET NOT NULL,
    ALTER COLUMN message_count SET NOT NULL,
    ADD CONSTRAINT event_stream_messages_not_empty CHECK (message_count = jsonb_array_length(messages) AND message_count > 0),
    DROP COLUMN message,
    DROP COLUMN event_id;

-- The position of a row's last message: what the publisher and websocket replays search by.
CREATE UNIQUE INDEX event_stream_last_seq ON event_stream ((seq + message_count - 1));
