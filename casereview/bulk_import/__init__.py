"""The bulk import of agency exports: rows read and checked (`importer`), recorded against
compact case intakes in batches (`pipeline`), encoded in one step (`encoding`) and saved by a
writer process of the import's own (`writer`). The services' `imports` is its only caller."""
