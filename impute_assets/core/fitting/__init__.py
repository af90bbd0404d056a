"""Fitting and filling: candidates trained and chosen per column, the saved per-column unit, prediction."""
