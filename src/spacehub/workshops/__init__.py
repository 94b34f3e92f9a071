"""Workshops: a cohort of seats on the hub, its materials, and its end with every seat's work archived.

So far the parts that decide before anything is made: :mod:`.roster` (who sits, from a count or an
uploaded roster, checked whole before any account exists) and :mod:`.archive` (every seat's home as one
archive per seat with a manifest of checksums, verified before anything may be removed).
"""
