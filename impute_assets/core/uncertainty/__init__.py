"""Uncertainty: calibrated confidences, conformal intervals and sets, draws and Rubin's rules."""
