"""Preservation: identify formats by signature, validate their structure, apply policy profiles.

:mod:`specpub.preservation.identify` names a file's format and PRONOM identifier from
its bytes; the structural validators and profiles plug into the media scan's single read
of each file (see :mod:`specpub.media`).

Examples
--------
>>> from specpub.preservation.identify import identify
>>> identify(b"\\x89PNG\\r\\n\\x1a\\n").format
'png'
"""
