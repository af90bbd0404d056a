"""Datawig's API kept name for name: ``SimpleImputer``, its search, its label-shift correction."""
