"""The gallery: notebooks published on the hub, re-run headless to check that they reproduce, browsed
as sanitised static previews and cited."""
