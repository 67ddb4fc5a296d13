DROP TABLE online_action_partners;
DROP TABLE online_actions;
