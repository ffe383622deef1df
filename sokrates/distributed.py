"""Ranks under torchrun / accelerate launch: joining the process group, splitting work by rank with an exact
merge, and letting rank 0 do a step's single-process work first. With one process all of it is a no-op."""
from __future__ import annotations

import os


def init_distributed() -> None:
    """Under torchrun/accelerate launch (WORLD_SIZE > 1) join the process group once: NCCL with one GPU per
    local rank, gloo on CPU. A group already set up (by accelerate's Trainer, say) is kept."""
    import torch
    import torch.distributed as dist
    if int(os.environ.get("WORLD_SIZE", 1)) > 1 and dist.is_available() and not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def rank_and_world() -> tuple[int, int]:
    import torch.distributed as dist
    init_distributed()
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def barrier() -> None:
    """Wait for every rank (nothing to wait for in a single process)."""
    import torch.distributed as dist
    if rank_and_world()[1] > 1:
        dist.barrier()


def shard(items: list, rank: int, world: int) -> list:
    """This rank's share: items[rank::world]."""
    return items[rank::world]


def merge_shards(shards: list[list], total: int) -> list:
    """Inverse of `shard`: shards[r] holds items r, r+world, ...; returns them in the original order."""
    world = len(shards)
    merged = [None] * total
    for r, part in enumerate(shards):
        merged[r::world] = part
    return merged


def gather(part: list, total: int) -> list:
    """Every rank's `shard` of a list of `total` items, merged back in order on every rank."""
    import torch.distributed as dist
    if rank_and_world()[1] == 1:
        return part
    shards: list = [None] * dist.get_world_size()
    dist.all_gather_object(shards, part)
    return merge_shards(shards, total)
