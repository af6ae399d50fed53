DROP TABLE invoicing.generation_run_items;
DROP TABLE invoicing.generation_runs;
