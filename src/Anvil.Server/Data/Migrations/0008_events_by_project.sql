-- A project's newest events (the events page, GraphQL events(projects: [p], last: n)) read
-- backwards along this index instead of fetching every event of the project and sorting them: a
-- bulk ingest leaves hundreds of thousands. It supersedes the index on project_name alone.
CREATE INDEX events_project_creation_order ON events (project_name, creation_order);
DROP INDEX events_project_name;
