"""Physical memory, buses and caches (caches are timing/tag models; data stays in memory)."""
