"""Hub-managed services of spacehub (the HAPI data service; the gallery later)."""
