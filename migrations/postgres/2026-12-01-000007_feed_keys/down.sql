DROP INDEX events_action_keys;
