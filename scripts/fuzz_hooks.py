"""Schemathesis hooks for scripts/fuzz.sh: how to read the registry's media types
that are not JSON, so that their answers are checked against the document too."""

import schemathesis
from schemathesis.core import media_types

# Schemathesis counts application/jwt among the JSON media types, but a JWT in its
# compact form (RFC 7519, what the attestation is) is three base64url parts joined by
# dots, never JSON. Take it out, and read it with the deserializer below.
media_types.JSON_MEDIA_TYPES = media_types.JSON_MEDIA_TYPES - {("application", "jwt")}


@schemathesis.deserializer("application/jwt")
def compact_jwt(ctx, response):
    """An attestation: a compact JWT, checked as the string the document says it is."""
    text = response.content.decode("ascii")
    if text.count(".") != 2:
        raise ValueError("not a compact JWT")
    return text
