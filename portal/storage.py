"""Where uploaded and generated files are kept: the STORAGES entry for a bucket.

Kept apart from the storage class (portal/s3.py) so the settings do not load boto3 when files
stay on local disk.
"""

from __future__ import annotations


def s3_storage(bucket: str, **options) -> dict:
    """The STORAGES entry for a private bucket (also used by the tests, on their own S3 server)."""
    return {
        "BACKEND": "portal.s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "default_acl": "private",
            # Never written over: a second file with a taken name is stored under another one.
            "file_overwrite": False,
            # A file read whole (an import, a hash) is held in memory up to 2 MB, then on disk.
            "max_memory_size": 2 * 1024 * 1024,
            **options,
        },
    }
