-- Fund-administrator sync of distribution schedules (issue 21): the administrator's id of the
-- schedule a Clearway schedule mirrors. Unique per organization, so an administrator's row
-- names at most one schedule; schedules created in Clearway have none (NULLs never collide).
ALTER TABLE schedules ADD COLUMN admin_ref TEXT;
CREATE UNIQUE INDEX schedules_admin_ref ON schedules (org_id, admin_ref);
