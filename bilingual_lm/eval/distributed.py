"""Data-parallel evals under `accelerate launch` or `torchrun`: shard units by rank, gather the records.

The launcher sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; each process scores the
units whose request number ≡ rank (mod world size) on its own device, and rank 0 gathers the records (over gloo,
since they are Python objects) and writes the results. Without a launcher this is one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessGroup:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, units: list) -> list:
        """The units this process scores: those whose request number ≡ rank (mod world size)."""
        return [unit for unit in units if unit.request % self.world_size == self.rank]

    def device(self, requested: str | None) -> str | None:
        """With several processes on GPUs, each takes the GPU of its local rank."""
        if self.world_size > 1 and requested in (None, "cuda"):
            import torch

            if torch.cuda.is_available():
                return f"cuda:{self.local_rank % torch.cuda.device_count()}"
        return requested


def process_group() -> ProcessGroup:
    """This process's place in a launched run (joining the gloo group), or a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return ProcessGroup()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return ProcessGroup(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def gather_records(records: list[dict], group: ProcessGroup) -> list[dict] | None:
    """All processes' records in unit order on rank 0 (None on the other ranks)."""
    if group.world_size == 1:
        return records
    import torch.distributed as dist

    gathered: list[list[dict]] | None = [None] * group.world_size if group.is_main else None
    dist.gather_object(records, gathered, dst=0)
    if not group.is_main:
        return None
    return sorted((record for part in gathered for record in part), key=lambda record: record["unit"])


def leave(group: ProcessGroup) -> None:
    """Leave the process group, so that its gloo threads are stopped before the interpreter exits (left to the
    exit, they can abort the process: "terminate called without an active exception")."""
    if group.world_size > 1:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
