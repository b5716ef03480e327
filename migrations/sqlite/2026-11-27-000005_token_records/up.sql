-- A bearer token is valid only with the key that signed it and only as it was issued:
-- the record keeps the key id and the issuer, so a token forged with another key (a
-- retired one included) or with other claims is refused. Tokens issued before this
-- were signed with the key in use now.
ALTER TABLE tokens ADD COLUMN kid TEXT;
ALTER TABLE tokens ADD COLUMN issuer TEXT;
UPDATE tokens SET kid = (SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1);
