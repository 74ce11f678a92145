-- Basis changes and ROC gains name the distribution whose return of capital they account for
-- (SQLite; PostgreSQL: migrations/postgres/0016_lot_reapply.sql, which explains the column).
-- SQLite cannot change a primary key in place: both tables are rebuilt (create, copy, drop,
-- rename). Rows written before: a reversal's rows undid its original's ROC.
CREATE TABLE lot_adjustments_v2 (
    distribution_id     TEXT NOT NULL,
    lot_id              TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    fund_id             TEXT NOT NULL,
    investor_id         TEXT NOT NULL,
    basis_change_minor  BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    roc_distribution_id TEXT NOT NULL,
    PRIMARY KEY (distribution_id, lot_id, roc_distribution_id)
) WITHOUT ROWID;
INSERT INTO lot_adjustments_v2 (distribution_id, lot_id, org_id, fund_id, investor_id, basis_change_minor, created_at, roc_distribution_id)
    SELECT a.distribution_id, a.lot_id, a.org_id, a.fund_id, a.investor_id, a.basis_change_minor, a.created_at,
           COALESCE((SELECT d.reverses_id FROM distributions d WHERE d.id = a.distribution_id AND d.kind = 'REVERSAL'), a.distribution_id)
    FROM lot_adjustments a;
DROP TABLE lot_adjustments;
ALTER TABLE lot_adjustments_v2 RENAME TO lot_adjustments;
CREATE INDEX lot_adjustments_lot ON lot_adjustments (lot_id);

CREATE TABLE roc_gains_v2 (
    distribution_id        TEXT NOT NULL,
    investor_id            TEXT NOT NULL,
    org_id                 TEXT NOT NULL,
    fund_id                TEXT NOT NULL,
    roc_minor              BIGINT NOT NULL,
    basis_reduction_minor  BIGINT NOT NULL,
    gain_minor             BIGINT NOT NULL,
    created_at             TEXT NOT NULL,
    roc_distribution_id    TEXT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id, roc_distribution_id),
    CHECK (basis_reduction_minor + gain_minor = roc_minor),
    CHECK (gain_minor <> 0)
);
INSERT INTO roc_gains_v2 (distribution_id, investor_id, org_id, fund_id, roc_minor, basis_reduction_minor, gain_minor, created_at, roc_distribution_id)
    SELECT g.distribution_id, g.investor_id, g.org_id, g.fund_id, g.roc_minor, g.basis_reduction_minor, g.gain_minor, g.created_at,
           COALESCE((SELECT d.reverses_id FROM distributions d WHERE d.id = g.distribution_id AND d.kind = 'REVERSAL'), g.distribution_id)
    FROM roc_gains g;
DROP TABLE roc_gains;
ALTER TABLE roc_gains_v2 RENAME TO roc_gains;
-- A reversal reads the gains of the distribution it undoes, whoever recorded them.
CREATE INDEX roc_gains_roc ON roc_gains (org_id, roc_distribution_id);
