DROP TABLE IF EXISTS invoicing.config_changes;
DROP TABLE IF EXISTS invoicing.app_settings;
DROP TABLE IF EXISTS invoicing.employee_exclusions;
DROP TABLE IF EXISTS invoicing.project_classifications;
DROP TABLE IF EXISTS invoicing.contract_rate_rules;
