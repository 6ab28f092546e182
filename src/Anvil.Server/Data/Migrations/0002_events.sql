-- The event log, audit trail and service job queue (AYON's `events`).
CREATE TABLE events (
    id             uuid PRIMARY KEY,
    hash           text NOT NULL UNIQUE,
    topic          text NOT NULL,
    sender         text,
    sender_type    text,
    project_name   text,
    user_name      text,
    depends_on     uuid REFERENCES events (id) ON UPDATE CASCADE ON DELETE SET NULL,
    status         text NOT NULL DEFAULT 'finished'
                   CHECK (status IN ('pending', 'in_progress', 'finished', 'failed', 'aborted', 'restarted')),
    retries        integer NOT NULL DEFAULT 0,
    description    text NOT NULL DEFAULT '',
    summary        jsonb NOT NULL DEFAULT '{}',
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- Order of creation, for listings (AYON's creation_order). Not the order of commit: the live
    -- stream uses event_stream.seq for that.
    creation_order bigserial NOT NULL UNIQUE
);

CREATE INDEX events_topic_created_at ON events (topic, created_at, creation_order);
-- Enroll: the unfinished jobs of a worker.
CREATE INDEX events_open_jobs ON events (topic, sender) WHERE status IN ('pending', 'in_progress');
CREATE INDEX events_depends_on_topic ON events (depends_on, topic);
CREATE INDEX events_project_name ON events (project_name);
CREATE INDEX events_created_at ON events (created_at);

-- The outbox: one row per message of the live stream (a dispatch or an update of an event, or an
-- event that is broadcast but not stored). Rows are written in the transaction that causes them;
-- after commit, the publisher numbers them (seq, strictly increasing in the order it sees commits)
-- and publishes them on Redis in that order. Websocket clients resume from a seq.
CREATE TABLE event_stream (
    id         bigserial PRIMARY KEY,
    seq        bigint UNIQUE,
    event_id   uuid NOT NULL,
    message    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX event_stream_unnumbered ON event_stream (id) WHERE seq IS NULL;

-- The publisher's bookkeeping: the last seq handed out, and the last seq published on Redis.
CREATE TABLE event_stream_state (
    id            integer PRIMARY KEY CHECK (id = 1),
    assigned_seq  bigint NOT NULL DEFAULT 0,
    published_seq bigint NOT NULL DEFAULT 0
);

INSERT INTO event_stream_state (id) VALUES (1);
