"""History service: owns workflow state, split into shards, each in its own SQLite file."""
