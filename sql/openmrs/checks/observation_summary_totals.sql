-- observation_summary_totals: one row when the observations the summary
-- counts, over all concepts, are not the rows of observations (${this} is the
-- summary being checked).
SELECT t.summarised, t.counted
FROM (SELECT (SELECT COALESCE(SUM(observations), 0) FROM ${this}) AS summarised,
             (SELECT COUNT(*) FROM observations) AS counted) AS t
WHERE t.summarised <> t.counted
