-- Issue 15: the character encoding a statement file was decoded from (UTF-8, UTF-16LE,
-- windows-1252, ISO-8859-1, …), so a statement read from a guessed code page says so.
-- NULL for XLSX (Unicode by definition) and for statements imported before this migration.
ALTER TABLE bank_statements ADD COLUMN encoding TEXT;
