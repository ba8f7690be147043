"""Pure validation core of the ingestion pipeline: submission archives and Windows app packages.

No HTTP, no SQL: `archive.check_archive` vets the uploaded ZIP without extracting it, and
`packages.validate_package` verifies one package file (block map, manifests, bundle payloads) and
returns the metadata the Store fills in. Both read in bounded memory whatever the input.
"""
