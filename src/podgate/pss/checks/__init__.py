"""The Pod Security Standards checks, one module per check ID, each defining `CHECK`.

The registry (`podgate.pss.registry`) discovers every module here whose name does not start
with an underscore, so adding a check means adding one file.
"""
