-- Waivers (conformance-report@1.1.0): the waiver a failed result carried,
-- as JSON ({"id", "reason", "expires", "status", ...}), or NULL.
ALTER TABLE results ADD COLUMN waiver TEXT;
