"""The demo code location: nycflights13 weather and flights in an embedded DuckDB warehouse."""
