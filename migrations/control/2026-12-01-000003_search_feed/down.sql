DROP TABLE search_nodes;
DROP TABLE search_changes;
