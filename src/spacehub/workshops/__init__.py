"""Workshops: a cohort of seats on the hub, its materials, and its end with every seat's work archived.

:mod:`.roster` (who sits, from a count or an uploaded roster, checked whole before any account exists),
:mod:`.records` (a workshop on disk: seats, instructors, times, the password and login links hashed),
:mod:`.archive` (every seat's home as one archive per seat with a manifest of checksums, verified before
anything is disabled), :mod:`.cli` (``spacehub workshop ...`` on the host) and :mod:`.service` (the
workshops service: each workshop's page and REST API for its instructors, and its end at its end time).
"""
