"""The composition roots: one module per deployable process, each wiring its broker, store, service,
relay and operations endpoints from the settings, and nothing else. `hub <process>` starts one; the
stack of `hub run` (hub/entrypoints/stack.py) starts them all in one process.

- core.py: the core consumer (commands and the systems' answers in, outcomes out through the outbox);
- tobb.py, bilge.py, ykts.py: the three adapters to external systems (hub/runtime/adapter_process.py);
- getapp.py: GET-APP (accounts, tracking read model, the firms' page and API);
- office.py: the customs offices' page and API;
- console.py: the operators' console.
"""
