-- Basis changes and ROC gains name the distribution whose return of capital they account for
-- (PostgreSQL; SQLite: migrations/sqlite/0016_lot_reapply.sql, same columns and keys).
-- distribution_id stays the distribution that made the row (its processing step applies its
-- rows in one join); roc_distribution_id is the one whose ROC the row is part of: itself for
-- a regular or correction distribution, the reversed original for a reversal undoing it, and
-- a later distribution when a reversal that took back a lot applies that distribution's
-- reduction of the lot again to the investor's remaining lots. One reversal can make several
-- rows for one lot (or investor), one per distribution accounted for: the key includes it.
-- Rows written before: a reversal's rows undid its original's ROC.
ALTER TABLE lot_adjustments ADD COLUMN roc_distribution_id TEXT COLLATE "C";
UPDATE lot_adjustments SET roc_distribution_id = COALESCE(
    (SELECT d.reverses_id FROM distributions d WHERE d.id = lot_adjustments.distribution_id AND d.kind = 'REVERSAL'),
    distribution_id);
ALTER TABLE lot_adjustments ALTER COLUMN roc_distribution_id SET NOT NULL;
ALTER TABLE lot_adjustments DROP CONSTRAINT lot_adjustments_pkey;
ALTER TABLE lot_adjustments ADD PRIMARY KEY (distribution_id, lot_id, roc_distribution_id);

ALTER TABLE roc_gains ADD COLUMN roc_distribution_id TEXT;
UPDATE roc_gains SET roc_distribution_id = COALESCE(
    (SELECT d.reverses_id FROM distributions d WHERE d.id = roc_gains.distribution_id AND d.kind = 'REVERSAL'),
    distribution_id);
ALTER TABLE roc_gains ALTER COLUMN roc_distribution_id SET NOT NULL;
ALTER TABLE roc_gains DROP CONSTRAINT roc_gains_pkey;
ALTER TABLE roc_gains ADD PRIMARY KEY (distribution_id, investor_id, roc_distribution_id);
-- A reversal reads the gains of the distribution it undoes, whoever recorded them.
CREATE INDEX roc_gains_roc ON roc_gains (org_id, roc_distribution_id);
