-- Study catalogue, version 1: one row per published session (unique per study, site, station and session id),
-- its files with checksums, and its derived results. Applied by CatalogSchema inside one transaction.

CREATE TABLE catalog_sessions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    study            text NOT NULL,
    site             text NOT NULL,
    station          text NOT NULL,
    session_id       text NOT NULL,
    subject          text NOT NULL,
    session_label    text NOT NULL,
    task             text NOT NULL,
    run              text NOT NULL,
    protocol         text NOT NULL,
    protocol_hash    text,
    mode             text NOT NULL,
    software_version text NOT NULL,
    host             text NOT NULL,
    started_utc      timestamptz NOT NULL,
    ended_utc        timestamptz,
    duration_s       double precision NOT NULL,
    end_kind         text,
    end_reason       text,
    folder           text NOT NULL,
    content_hash     text NOT NULL,
    entry_format     integer NOT NULL,
    streams          jsonb NOT NULL,
    quality          jsonb NOT NULL,
    published_utc    timestamptz NOT NULL DEFAULT now(),
    -- The idempotency key: a session sent twice is stored once.
    CONSTRAINT catalog_sessions_key UNIQUE (study, site, station, session_id)
);

CREATE TABLE catalog_files (
    session_ref bigint NOT NULL REFERENCES catalog_sessions (id) ON DELETE CASCADE,
    name        text NOT NULL,
    bytes       bigint NOT NULL,
    sha256      text NOT NULL,
    PRIMARY KEY (session_ref, name)
);

CREATE TABLE catalog_erp (
    session_ref bigint NOT NULL REFERENCES catalog_sessions (id) ON DELETE CASCADE,
    stream      text NOT NULL,
    condition   text NOT NULL,
    epochs      integer NOT NULL,
    channels    text[] NOT NULL,
    times_s     double precision[] NOT NULL,
    -- Mean per channel and time point, channel after channel (length = channels × times); NULL where undefined.
    mean_uv     double precision[] NOT NULL,
    PRIMARY KEY (session_ref, stream, condition)
);

CREATE TABLE catalog_alpha (
    session_ref        bigint NOT NULL REFERENCES catalog_sessions (id) ON DELETE CASCADE,
    stream             text NOT NULL,
    condition          text NOT NULL,
    region             text NOT NULL,
    events             integer NOT NULL,
    pre_mean_uv2       double precision,
    post_mean_uv2      double precision,
    change_percent     double precision,
    change_percent_sem double precision,
    PRIMARY KEY (session_ref, stream, condition, region)
);

CREATE TABLE catalog_drops (
    session_ref bigint NOT NULL REFERENCES catalog_sessions (id) ON DELETE CASCADE,
    stream      text NOT NULL,
    condition   text NOT NULL,
    outcome     text NOT NULL,
    reason      text NOT NULL,
    markers     integer NOT NULL,
    PRIMARY KEY (session_ref, stream, condition, outcome, reason)
);
