-- How each line is settled, filled in by the processing job: the part reinvested (DRIP) and
-- the cash part paid out (after withholding). total = reinvested + cash + withholding on every
-- processed line; both stay NULL until the line is processed.
ALTER TABLE distribution_lines ADD COLUMN reinvested_minor BIGINT;
ALTER TABLE distribution_lines ADD COLUMN cash_minor BIGINT;
