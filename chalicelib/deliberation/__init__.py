"""民情三会 (deliberation): concerns, the three meetings, the responsibility list and 四议两公开."""
