"""Encoders: table cells to model inputs and back (numbers, categories, text, embeddings)."""
