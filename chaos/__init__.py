"""The chaos harness (test tooling, not installed): fanflow's multi-process cluster, each
service on a host of its own (a Linux network namespace), under a generated, seeded
schedule of faults — kills, network partitions, pauses, full disks, clock jumps — while a
workload runs; then a checker reads the cluster's own records. `python -m chaos --help`."""
