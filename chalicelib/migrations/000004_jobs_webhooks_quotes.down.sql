DROP TABLE IF EXISTS invoicing.calculator_snapshots;
DROP TABLE IF EXISTS invoicing.webhook_receipts;
DROP TABLE IF EXISTS invoicing.integration_jobs;
