"""Surfaces for people and portals: the page at `/`, the badge, offline /docs assets, CORS.

`card` and `badge` are pure (answer dict in, view data out); `install` wires the Flask parts."""
