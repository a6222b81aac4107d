"""The domain: organizations, members, events, periods, typed fields and result records. Pure: no I/O."""
