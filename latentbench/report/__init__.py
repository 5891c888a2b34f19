"""Reports: leaderboards read from results (never recomputed)."""
