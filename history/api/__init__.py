"""History's operations, one module per group, each a set of functions taking the
`Shard` they run on (history/service.py picks it): start.py, task_started.py,
respond.py, reads.py, progress.py, executor_results.py, namespaces.py."""
