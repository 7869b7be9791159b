"""Coverage-guided fuzzing (atheris, libFuzzer's engine for Python) of the code that takes
input from outside: the frontend's request validators and the history state machine's
command handling. `python -m fuzz --budget 300` runs every target for its share of the
budget, then replays what the fuzzer kept under coverage.py and reports both.

Targets (each a module here with `test_one(data)`, `SEEDS`, `INSTRUMENT`, `COVERED`):
- `fuzz.validators`: raw bytes in as any validated request; only a FanflowError with a
  message may come out (bytes that are not the message are INVALID_ARGUMENT before).
- `fuzz.run_state`: bytes read as a sequence of operations on one run (complete or fail a
  workflow task with any commands, start/complete/fail/heartbeat/cancel activities, fire
  timers, signal, cancel, terminate); only the documented FanflowErrors may come out, and
  after each operation the run's invariants hold.
A finding is fixed in the code and kept as a regression case in tests/unit/.
"""
