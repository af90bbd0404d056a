"""Candidate models a column can be filled by, each fitted and scored on held-out cells."""
