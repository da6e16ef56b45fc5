"""The bucket's storage class (S3_BUCKET set; see portal/storage.py): a private bucket.

Nothing links to a stored object: every download goes through the portal's checked views
(onboarding/views/downloads.py), which stream the bytes with their own headers. So `url()`
gives no address at all, not even a presigned one, and objects are written private.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        """No address: the file is reached only through a checked download view."""
        return ""
