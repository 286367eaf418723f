"""Masking: per output column, from lineage, applied to Arrow batches before encoding."""
