-- The HTML report a plan was published with, served by `peakplan serve`.
ALTER TABLE roster_versions ADD COLUMN report TEXT;
