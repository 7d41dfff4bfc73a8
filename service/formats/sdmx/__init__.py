"""SDMX 2.1 messages: structure (structure.py), data (data.py: SDMX-ML GenericData and StructureSpecificData,
SDMX-CSV 1.0; jsondata.py: SDMX-JSON 1.0) and error messages (ml.py). They are registered as formats in
service/formats/__init__.py."""
