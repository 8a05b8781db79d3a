-- Version 2: the pooled views `acq study` reads (one row per session and condition, site attached), and an index
-- for the per-study queries. Data of version 1 is kept as it is.

CREATE INDEX catalog_sessions_study ON catalog_sessions (study, site);

-- Alpha change per session, condition and region, with the session's study and site.
CREATE VIEW study_alpha AS
SELECT s.study, s.site, s.station, s.session_id, s.subject, a.stream, a.condition, a.region, a.events,
       a.pre_mean_uv2, a.post_mean_uv2, a.change_percent
FROM catalog_sessions s
JOIN catalog_alpha a ON a.session_ref = s.id;

-- Epochs kept and markers dropped per session, stream and condition.
CREATE VIEW study_epochs AS
SELECT s.study, s.site, s.station, s.session_id, s.subject, d.stream, d.condition,
       coalesce(sum(d.markers) FILTER (WHERE d.outcome = 'epoch'), 0)  AS epochs,
       coalesce(sum(d.markers) FILTER (WHERE d.outcome <> 'epoch'), 0) AS dropped
FROM catalog_sessions s
JOIN catalog_drops d ON d.session_ref = s.id
GROUP BY s.study, s.site, s.station, s.session_id, s.subject, d.stream, d.condition;
