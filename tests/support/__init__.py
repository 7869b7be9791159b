"""What several test files share: workflow and activity definitions used at more than one
level, in-memory doubles, helpers that read the README, and the programs that worker
processes import (`fanflow worker fault_workflows` runs with this folder as its cwd)."""
