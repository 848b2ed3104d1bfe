"""Whole-project analysis: module names, per-file summaries, and the join across files."""
