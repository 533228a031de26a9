"""Sub-commands of the ``allyship`` command."""
