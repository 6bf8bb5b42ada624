"""Data: the tasks networks are scored for, the run's one fixed batch and the sources its
images come from (built-in and plug-ins), image folders, and the data shipped inside the
package."""

from zeronas.data.batch import Batch
from zeronas.data.sources import DATA_SOURCES, data_source, load_batch
from zeronas.data.tasks import DATASETS, DatasetSpec, get_dataset, list_datasets

__all__ = [
    "DATASETS",
    "DATA_SOURCES",
    "Batch",
    "DatasetSpec",
    "data_source",
    "get_dataset",
    "list_datasets",
    "load_batch",
]
