"""Machine files: TOML loading, includes, overrides, units, and the declaration schema."""
