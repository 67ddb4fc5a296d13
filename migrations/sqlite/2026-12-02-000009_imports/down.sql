DROP TABLE imported_events;
DROP TABLE imports;
