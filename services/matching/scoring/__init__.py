"""Score components: each returns a ``Component`` (score in [0,1] + explanation) or ``None`` when it
does not apply to the pair (no data on one side), in which case its weight is redistributed."""
