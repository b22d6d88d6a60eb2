"""Every property of a Messengeo contact and list read from a NON-null value: a field read from a
misspelt key would be None here (the note's examples leave most of them out or null)."""

from __future__ import annotations

import datetime as dt

import attrs

from contactgroups.messengeo import Contact, ContactList, ListStats, converter
from contactgroups.messengeo.models import CONTACT_PROPERTIES, LIST_PROPERTIES

FREE_FIELDS = {f"field{n:02d}": f"free {n}" for n in range(1, 16)}
CONTACT = {
    "id": "123456789",
    "listIds": ["2", "9", "133201"],
    "dateCreated": "2025-01-01 12:00:00",
    "dateUpdated": "2025-01-02 14:00:00",
    "email": "jean.dupont@example.fr",
    "phone": "+33240000000",
    "mobile": "+33612345678",
    "fax": "+33240000001",
    "facebookId": "jean.dupont.fb",
    "twitterId": "@jeandupont",
    "civility": "M.",
    "firstName": "Jean",
    "lastName": "DUPONT",
    "company": "Dupont SA",
    "reference": "CRM-42",
    "birthDate": "1980-05-17",
    "address1": "1 rue de la Paix",
    "address2": "Bâtiment B",
    "zipcode": "44000",
    "city": "Nantes",
    "state": "Pays de la Loire",
    "country": "FR",
    "longitude": "-1.5536",
    "latitude": "47.2184",
    **FREE_FIELDS,
    "smsOptout": "user",
    "emailOptout": "hardbounced",
    "voiceOptout": "contact",
    "voicemailOptout": "user",
}


def test_the_contact_payload_names_every_documented_property() -> None:
    assert set(CONTACT) == set(CONTACT_PROPERTIES)


def test_a_contact_with_every_property_set() -> None:
    contact = converter.structure(CONTACT, Contact)
    assert contact == Contact(
        id="123456789",
        list_ids=("2", "9", "133201"),
        date_created=dt.datetime(2025, 1, 1, 12, 0, 0),
        date_updated=dt.datetime(2025, 1, 2, 14, 0, 0),
        email="jean.dupont@example.fr",
        phone="+33240000000",
        mobile="+33612345678",
        fax="+33240000001",
        facebook_id="jean.dupont.fb",
        twitter_id="@jeandupont",
        civility="M.",
        first_name="Jean",
        last_name="DUPONT",
        company="Dupont SA",
        reference="CRM-42",
        birth_date="1980-05-17",
        address1="1 rue de la Paix",
        address2="Bâtiment B",
        zipcode="44000",
        city="Nantes",
        state="Pays de la Loire",
        country="FR",
        longitude=-1.5536,
        latitude=47.2184,
        **FREE_FIELDS,
        sms_optout="user",
        email_optout="hardbounced",
        voice_optout="contact",
        voicemail_optout="user",
    )
    assert all(getattr(contact, f.name) is not None for f in attrs.fields(Contact))


def test_a_list_made_from_a_file_with_every_property_set() -> None:
    raw = {
        "id": "133201",
        "name": "Clients Nantes",
        "description": "Fidélité 2025",
        "stats": {
            "subscribers": "1532",
            "sms": "1490",
            "email": "1204",
            "voice": "1489",
            "voicemail": "1488",
        },
        "importErrors": "https://contacts.messengeo.net/rest/errors/133201.csv",
        "importLines": "1600",
        "importInvalid": "68",
        "importStatus": "ok",
        "dateCreated": "2025-02-03 10:12:44",
        "dateUpdated": "2025-03-01 08:00:05",
    }
    assert set(raw) == set(LIST_PROPERTIES)
    row = converter.structure(raw, ContactList)
    assert row == ContactList(
        id="133201",
        name="Clients Nantes",
        description="Fidélité 2025",
        stats=ListStats(subscribers=1532, sms=1490, email=1204, voice=1489, voicemail=1488),
        import_errors="https://contacts.messengeo.net/rest/errors/133201.csv",
        import_lines=1600,
        import_invalid=68,
        import_status="ok",
        date_created=dt.datetime(2025, 2, 3, 10, 12, 44),
        date_updated=dt.datetime(2025, 3, 1, 8, 0, 5),
    )
