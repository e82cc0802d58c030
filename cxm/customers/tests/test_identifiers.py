from __future__ import annotations

import pytest

from cxm.customers.identifiers import InvalidIdentifier, normalize, search_keys


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        # Email: case and surrounding whitespace do not make a different person.
        ("email", "Ann.Lee@example.org", "ann.lee@example.org"),
        ("email", "  Ann.Lee@Example.ORG \n", "ann.lee@example.org"),
        ("email", "ANN+Support@EXAMPLE.org", "ann+support@example.org"),
        # Phone: E.164, national numbers read in the default region (GB).
        ("phone", "020 7946 0958", "+442079460958"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "+44 (0)20 7946 0958", "+442079460958"),
        ("phone", "0044 20 7946 0958", "+442079460958"),
        ("phone", " 07911 123456 ", "+447911123456"),
        ("phone", "+1 (415) 555-2671", "+14155552671"),
        ("phone", "001 415 555 2671", "+14155552671"),
        ("phone", "tel:+33 1 42 68 53 00", "+33142685300"),
        # Twitter / X: handle without @, lower case, from a profile link too.
        ("twitter", "@AnnLee", "annlee"),
        ("twitter", "AnnLee", "annlee"),
        ("twitter", "https://twitter.com/AnnLee", "annlee"),
        ("twitter", "https://x.com/AnnLee?s=20", "annlee"),
        ("twitter", "HTTPS://Mobile.Twitter.com/ann_lee/", "ann_lee"),
        ("twitter", "www.twitter.com/ann_lee", "ann_lee"),
        # Instagram
        ("instagram", "@Ann.Lee", "ann.lee"),
        ("instagram", "https://www.instagram.com/ann.lee/", "ann.lee"),
        ("instagram", "instagram.com/Ann_Lee?igsh=abc", "ann_lee"),
        # Facebook: username, or the numeric id of a profile.php link.
        ("facebook", "https://www.facebook.com/Ann.Lee", "ann.lee"),
        ("facebook", "m.facebook.com/ann.lee?ref=bookmarks", "ann.lee"),
        ("facebook", "fb.com/AnnLee", "annlee"),
        ("facebook", "https://facebook.com/profile.php?id=100012345678", "100012345678"),
        ("facebook", "100012345678", "100012345678"),
        # YouTube: handles lower case with @, channel ids kept exactly.
        ("youtube", "@AnnLee", "@annlee"),
        ("youtube", "AnnLee", "@annlee"),
        ("youtube", "https://www.youtube.com/@AnnLee", "@annlee"),
        (
            "youtube",
            "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuV",
            "UCabcdefghijklmnopqrstuV",
        ),
        ("youtube", "UCabcdefghijklmnopqrstuV", "UCabcdefghijklmnopqrstuV"),
        # Opaque ids: trimmed, otherwise exact.
        ("crm_id", "  C-1042 ", "C-1042"),
        ("crm_id", "c-1042", "c-1042"),
        ("chat_visitor", "v-9f3a", "v-9f3a"),
        ("other", "loyalty card 77", "loyalty card 77"),
        ("crm_id", "x" * 255, "x" * 255),
    ],
)
def test_normalize_gives_the_canonical_value(kind: str, raw: str, expected: str) -> None:
    assert normalize(kind, raw, default_region="GB") == expected


def test_national_phone_numbers_follow_the_default_region() -> None:
    assert normalize("phone", "(415) 555-2671", default_region="US") == "+14155552671"
    assert normalize("phone", "01 42 68 53 00", default_region="FR") == "+33142685300"


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("email", "ann@@example.org", "'ann@@example.org' is not a valid email address"),
        ("email", "   ", "'   ' is not a valid email address"),
        ("email", "ann", "'ann' is not a valid email address"),
        ("phone", "abc", "'abc' is not a phone number"),
        (
            "phone",
            "12345",
            "'12345' is not a valid phone number in region GB; write it with its country "
            "code (+...)",
        ),
        ("phone", "+1 555", "'+1 555' is not a valid phone number"),
        (
            "twitter",
            "ann-lee",
            "'ann-lee' is not a Twitter/X handle (1-15 letters, digits or underscores)",
        ),
        (
            "twitter",
            "a" * 16,
            f"'{'a' * 16}' is not a Twitter/X handle (1-15 letters, digits or underscores)",
        ),
        (
            "instagram",
            "ann lee",
            "'ann lee' is not an Instagram handle (1-30 letters, digits, dots or underscores)",
        ),
        ("facebook", "ann_lee", "'ann_lee' is not a Facebook username or id"),
        (
            "facebook",
            "https://facebook.com/profile.php",
            "'https://facebook.com/profile.php' is a Facebook profile link without an id",
        ),
        ("youtube", "ab", "'ab' is not a YouTube handle or channel id"),
        ("crm_id", "   ", "'   ' is empty or too long (255 characters at most)"),
        ("crm_id", "x" * 256, f"'{'x' * 256}' is empty or too long (255 characters at most)"),
        ("fax", "123", "unknown identifier kind 'fax'"),
    ],
)
def test_invalid_identifiers_say_what_is_wrong(kind: str, raw: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize(kind, raw, default_region="GB")

    assert str(caught.value) == message


def test_search_keys_try_every_kind_from_strongest_to_weakest() -> None:
    assert search_keys(" Ann.Lee@Example.org ", default_region="GB") == [
        ("crm_id", "Ann.Lee@Example.org"),
        ("email", "ann.lee@example.org"),
        ("chat_visitor", "Ann.Lee@Example.org"),
        ("other", "Ann.Lee@Example.org"),
    ]
    assert search_keys("020 7946 0958", default_region="GB") == [
        ("crm_id", "020 7946 0958"),
        ("phone", "+442079460958"),
        ("chat_visitor", "020 7946 0958"),
        ("other", "020 7946 0958"),
    ]
    assert search_keys("@annlee", default_region="GB") == [
        ("crm_id", "@annlee"),
        ("twitter", "annlee"),
        ("facebook", "annlee"),
        ("instagram", "annlee"),
        ("youtube", "@annlee"),
        ("chat_visitor", "@annlee"),
        ("other", "@annlee"),
    ]
