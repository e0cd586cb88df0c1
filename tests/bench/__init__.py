"""`make bench`: figures measured as ratios within one run, printed against their targets and saved as JSON."""
