"""`dunmail demo`: the whole loop on embedded defaults, with no outside service."""
