"""The throwaway S3 server the storage tests share, and the apps' merchant and store fixtures."""

from dukaan.conftest import me, store  # noqa: F401 (fixtures)
from tests.processes import s3_server  # noqa: F401 (a fixture)
