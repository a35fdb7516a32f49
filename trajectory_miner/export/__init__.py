"""Exports for scale: a Parquet folder a team pools and reads back, and training datasets.

`export_parquet` adds what is new in a store to a pooled folder, `ingest_parquet` reads a
pooled folder into a store, and `export_dataset` writes high-confidence successful
trajectories as chat-format training examples and preference pairs.
"""

from __future__ import annotations

from trajectory_miner.export.dataset import DatasetReport, dataset_schema, export_dataset
from trajectory_miner.export.parquet import ParquetExport, export_parquet, store_id
from trajectory_miner.export.pool import PoolError, PoolIngestReport, ingest_parquet

__all__ = [
    "DatasetReport",
    "ParquetExport",
    "PoolError",
    "PoolIngestReport",
    "dataset_schema",
    "export_dataset",
    "export_parquet",
    "ingest_parquet",
    "store_id",
]
