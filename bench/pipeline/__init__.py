"""The pipeline benchmark (`python -m bench.pipeline_bench`), in parts.

- `commands`: the hub commands sent (5800s on foreign carnets: no TOBB, BİLGE or YKTS look-up), encoded
  before the clock starts;
- `load`: the load generator: closed loop (as fast as possible) and open loop (fixed rate), matching each
  outcome to its command by causation id;
- `children`: the processes measured, each an OS process of its own: the raw aiokafka pipe
  (`raw_pipe`) and core processes (`core_runner`), stopped whatever happens;
- `cases`: one function per case; `report`: medians, ratios and the issue's targets.
"""
