"""Running over several processes, on JAX's own distributed machinery.

    import neuroflow as nf
    nf.distributed.initialize()          # first: joins the job the environment describes
    sim = nf.compile(model, dt=0.1)
    runs = sim.sweep(duration, params, devices=jax.devices())   # the devices of every process

`initialize` reads `NEUROFLOW_COORDINATOR` (`host:port`, served by process 0),
`NEUROFLOW_PROCESSES` and `NEUROFLOW_PROCESS_ID`; without them the script runs as one process.
`launch` (and `neuroflow run --processes N`) starts N local processes with those set; on a
cluster the job script sets them.  Every process returns the same, whole results.
"""
from .runtime._distributed import (COORDINATOR, PROCESS_ID, PROCESSES, DistributedError,
                                   Processes, current, gather, initialize, put, shutdown)
from .runtime._launch import Finished, free_port, launch

__all__ = ["initialize", "current", "shutdown", "put", "gather", "launch", "free_port", "Processes",
           "Finished", "DistributedError", "COORDINATOR", "PROCESSES", "PROCESS_ID"]
