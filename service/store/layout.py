"""How Yardstick's tables look to Iceberg: the namespace, each table's schema (from the one Arrow schema, field docs
included), its partitioning and its sort order."""

from __future__ import annotations

from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table.sorting import SortField, SortOrder
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import DateType, DoubleType, IcebergType, LongType, NestedField, StringType, TimestamptzType

from service.model.schema import KEYS, TABLES

NAMESPACE = "yardstick"
_TYPES: dict[str, IcebergType] = {
    "string": StringType(),
    "double": DoubleType(),
    "date32[day]": DateType(),
    "timestamp[us, tz=UTC]": TimestamptzType(),
    "int64": LongType(),
}


def iceberg_schema(table: str) -> Schema:
    """The Iceberg schema of a table, from the one Arrow schema (field docs included)."""
    fields = [
        NestedField(
            field_id=i,
            name=f.name,
            field_type=_TYPES[str(f.type)],
            required=not f.nullable,
            doc=(f.metadata or {}).get(b"description", b"").decode() or None,
        )
        for i, f in enumerate(TABLES[table], start=1)
    ]
    return Schema(*fields)


def table_layout(table: str, schema: Schema) -> tuple[PartitionSpec, SortOrder]:
    """observations: partitioned by indicator; every table sorted by its key (region, period_end, published)."""
    keys = ("region", "period_end", "published") if table == "observations" else KEYS[table]
    order = SortOrder(
        *[SortField(source_id=schema.find_field(k).field_id, transform=IdentityTransform()) for k in keys]
    )
    if table != "observations":
        return UNPARTITIONED_PARTITION_SPEC, order
    source = schema.find_field("indicator").field_id
    return PartitionSpec(PartitionField(source, 1000, IdentityTransform(), "indicator")), order
