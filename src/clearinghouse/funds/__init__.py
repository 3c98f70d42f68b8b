"""The multi-year fund: burden-sharing keys, fair shares, contributions in any currency, compliance."""
