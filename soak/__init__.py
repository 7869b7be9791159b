"""The soak and fault harness (test tooling, not part of the installed packages):
`python -m soak` from the repository root. `soak.cluster.LocalCluster` runs every role of a
cluster in its own process; `soak.workflows` is the workload."""
