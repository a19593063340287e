"""The pure core: customs rules of Circular 2021/17 and the ATA Convention.

Nothing here does I/O or reads a clock: the time comes in with the command.
"""
