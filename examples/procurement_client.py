"""A procurement tool's walk through the registry, with a client generated from the
registry's own OpenAPI document by openapi-python-client:

    openapi-python-client generate --url "$REGISTRY/openapi.json" \
        --config openapi/python-client.yaml --meta none --output-path pledge_registry_client
    python3 examples/procurement_client.py "$REGISTRY"

Every answer is parsed into the generated models; an answer the document does not
describe raises (raise_on_unexpected_status), so this script fails if the registry and
its document ever disagree.
"""

import base64
import json
import sys

from pledge_registry_client import Client
from pledge_registry_client.api.log import get_signing_keys, list_changes
from pledge_registry_client.api.pledge import get_current_pledge
from pledge_registry_client.api.suppliers import (
    get_supplier,
    get_supplier_attestation,
    get_supplier_history,
    list_suppliers,
)
from pledge_registry_client.models import (
    ChangePage,
    Jwks,
    PageStatusChange,
    PageSupplierSummary,
    PledgeVersion,
    Status,
    SupplierView,
)
from pledge_registry_client.types import UNSET

registry = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
client = Client(base_url=registry, raise_on_unexpected_status=True)

# The pledge suppliers sign today, with its commitments.
pledge = get_current_pledge.sync(client=client)
assert isinstance(pledge, PledgeVersion), pledge
print(f"Pledge {pledge.version}: {', '.join(c.code for c in pledge.commitments)}")

# Every active or lapsed signatory, page by page (repeated filters mean "any of").
wanted = [Status.ACTIVE, Status.LAPSED]
signatories = []
cursor = UNSET
while True:
    page = list_suppliers.sync(client=client, status=wanted, limit=10, cursor=cursor)
    assert isinstance(page, PageSupplierSummary), page
    signatories += page.items
    if not page.next_cursor:
        break
    cursor = page.next_cursor
assert signatories and all(s.status in wanted for s in signatories)
print(f"{len(signatories)} signatories are active or lapsed")

# One supplier in full: its statements and the health of its evidence.
supplier = get_supplier.sync(signatories[0].slug, client=client)
assert isinstance(supplier, SupplierView), supplier
print(f"{supplier.name}: {supplier.status.value}, evidence {supplier.evidence_summary.value}")
for evidence in supplier.evidence:
    print(f"  {evidence.health.status.value:<11} {evidence.url}")
history = get_supplier_history.sync(supplier.slug, client=client)
assert isinstance(history, PageStatusChange), history

# The change feed from the start, as a mirror follows it.
since, changes = 0, 0
while True:
    feed = list_changes.sync(client=client, since=since, limit=100)
    assert isinstance(feed, ChangePage), feed
    changes += len(feed.items)
    since = feed.next_since
    if not feed.more:
        break
print(f"{changes} changes in the feed; resume from since={since}")

# A signed attestation of the supplier's status, and the key that signed it.
token = get_supplier_attestation.sync(supplier.slug, client=client)
assert isinstance(token, str), token
header, claims, _ = token.split(".")
decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
keys = get_signing_keys.sync(client=client)
assert isinstance(keys, Jwks), keys
assert decode(header)["kid"] in {k.kid for k in keys.keys}
assert decode(claims)["status"] == supplier.status.value
print(f"Attestation signed by key {decode(header)['kid']}: {decode(claims)['status']}")
