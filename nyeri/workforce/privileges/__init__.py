"""Clinical privileges: the catalogue (data per jurisdiction), requests, the committee's
recommendation, the director's grant (RKK and SPK), focused review (FPPE) and
re-credentialing. See docs/privileges.md."""
