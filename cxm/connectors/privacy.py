"""The connectors app holds nothing personal about customers."""

from cxm.access import privacy
from cxm.connectors.models import ApiToken, ImportRun, Source

privacy.declare_not_personal(Source, reason="a system that sends data, by name")
privacy.declare_not_personal(ApiToken, reason="a source's credential: hash, prefix, dates")
privacy.declare_not_personal(
    ImportRun, reason="a file's path, fingerprint and counts; the rows went to interactions"
)
