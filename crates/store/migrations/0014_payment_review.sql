-- A payee instruction that came back from the bank (a closed account, a returned wire) is
-- blocked until its details are changed: new payments to it are held for review instead of
-- being sent. NULL: not blocked.
ALTER TABLE bank_accounts ADD COLUMN blocked_reason TEXT;
