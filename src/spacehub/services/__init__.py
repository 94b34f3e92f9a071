"""Hub-managed services of spacehub: the HAPI data service (:mod:`.data`); :mod:`.web`, what the
gallery's and the workshops service's request handlers share."""
