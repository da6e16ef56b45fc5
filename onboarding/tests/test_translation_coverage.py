"""Hindi everywhere: every text of the code has its Hindi in the catalogue (locale/hi), the
compiled catalogue matches it, and every page of every role, shown in Hindi, carries no English
words but brand names, codes and what people typed."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from .. import reference
from .browser_pages import more_pages, pages_by_role
from .test_browser_phone import busy_startup  # noqa: F401 (its busy startup, reused)

CATALOGUE = settings.BASE_DIR / "locale" / "hi" / "LC_MESSAGES" / "django.po"

# Words a Hindi page keeps in Latin letters: brands, identifiers, file formats, units, key
# names, the other language's own name on the switch, and the legal forms in company names.
ALLOWED = {
    "alibaba", "com", "gstin", "gst", "pan", "iec", "udyam", "dpiit", "cin", "ifsc", "tds", "msme",
    "csv", "xlsx", "pdf", "api", "otp", "qr", "whatsapp", "upi", "url", "json", "http", "https",
    "english", "llp", "pvt", "ltd", "private", "limited", "inr", "utr", "neft", "rtgs", "imps",
    "swagger", "redoc", "openapi", "knox", "totp", "ist", "utc", "kb", "mb", "gb", "sla", "sha",
    "excel", "esc", "enter", "ctrl", "shift", "tab", "office", "postgresql", "django", "google",
    "microsoft", "authenticator", "freeotp", "usd", "iso", "png", "jpeg", "gif", "xls", "utf", "gzip",
}  # fmt: skip


def catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


def test_every_text_of_the_code_has_its_hindi():
    untranslated = [
        entry.msgid
        for entry in catalogue()
        if "fuzzy" in entry.flags or not (all(entry.msgstr_plural.values()) if entry.msgid_plural else entry.msgstr)
    ]
    assert untranslated == [], f"{len(untranslated)} texts have no Hindi in {CATALOGUE.name}: {untranslated[:20]}"


def test_the_catalogue_holds_exactly_the_texts_of_the_code(tmp_path, monkeypatch, settings):
    """makemessages on a copy of the code (it writes scratch files beside the templates it reads),
    compared with the committed catalogue: a text added to the code and not to the catalogue, or
    left in the catalogue after the code dropped it, fails here."""
    for part in ("onboarding", "portal", "templates"):
        shutil.copytree(
            settings.BASE_DIR / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "tests")
        )
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["hi"], no_obsolete=True, verbosity=0)
    fresh = polib.pofile(str(tmp_path / "locale" / "hi" / "LC_MESSAGES" / "django.po"))

    def texts(po):
        return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in po if not entry.obsolete}

    committed = texts(catalogue())
    assert texts(fresh) - committed == set(), "texts of the code missing from the catalogue: run makemessages"
    assert committed - texts(fresh) == set(), "texts in the catalogue the code no longer has: run makemessages"


def test_the_compiled_catalogue_is_the_catalogue():
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    }
    written = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in catalogue()
        if entry.translated() and "fuzzy" not in entry.flags
    }
    stale = {key for key in written if compiled.get(key) != written[key]}
    assert not stale, f"django.mo is older than django.po for {sorted(stale)[:10]}: run msgfmt (docs/translation.md)"


class VisibleText(HTMLParser):
    """The text a person reads or hears: text nodes, and the attributes shown or read out
    (title, aria-label, placeholder, alt, a button's value), outside <script>, <style>, code
    (<code>, <kbd>, <samp>: commands and keys are typed as they are) and anything marked
    translate="no"."""

    SPOKEN = {"title", "aria-label", "placeholder", "alt"}
    HIDDEN = {"script", "style", "template", "code", "kbd", "samp"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []  # per open element: is its content skipped?
        self.parts: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = self.skipping or tag in self.HIDDEN or attrs.get("translate") == "no"
        if not skip:
            self.parts += [value for name, value in attrs.items() if name in self.SPOKEN and value]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data)


def typed_words() -> set[str]:
    """Every word people typed or imported (names, notes, emails, addresses): free text in the
    database, not the codes of a list of choices."""
    words = set()
    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                words |= {word.lower() for value in row if value for word in WORD.findall(str(value))}
    return words


WORD = re.compile(r"[A-Za-z]{3,}")
NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:com|in|org|example)\S*|[A-Z0-9]{6,}")


def english_on(html: str, allowed: set[str]) -> list[str]:
    reader = VisibleText()
    reader.feed(html)
    found = []
    for text in reader.parts:
        text = NOT_WORDS.sub(" ", text)
        words = [word for word in WORD.findall(text) if word.lower() not in allowed]
        if words:
            found.append(" ".join(text.split())[:90])
    return found


def state_words() -> set[str]:
    return {
        word.lower()
        for name in (reference.STATES | reference.GSTIN_ONLY_STATES).values()
        for word in WORD.findall(name)
    }


def pages_for(role: str, busy: dict) -> dict[str, str]:
    startup = busy["paid"].startup
    return pages_by_role(startup=startup, **busy)[role] | more_pages(role, paid=busy["paid"])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "officer", "manager", "agent"])
def test_every_page_of_every_role_in_hindi_has_no_english_left(client, request, role, busy_startup):  # noqa: F811
    user = request.getfixturevalue({"admin": "admin_user", "manager": "manager_a", "agent": "agent_a"}.get(role, role))
    user.language = "hi"
    user.save(update_fields=["language"])
    client.force_login(user)
    allowed = ALLOWED | typed_words() | state_words()
    found = {}
    for name, url in pages_for(role, busy_startup).items():
        response = client.get(url)
        assert response.status_code == 200, (role, name, response.status_code)
        if english := english_on(response.content.decode(), allowed):
            found[f"{role}: {name} ({url})"] = english
    assert not found, "\n".join(f"{page}: {' | '.join(lines[:8])}" for page, lines in found.items())


@pytest.mark.django_db
def test_the_pages_before_signing_in_are_in_hindi_when_chosen(client, agent_a):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    allowed = ALLOWED | typed_words()
    found = {}
    for name, url in {
        "sign in": reverse("login"),
        "password reset": reverse("password_reset"),
        "password reset sent": reverse("password_reset_done"),
        "not found": "/no-such-page/",
    }.items():
        if english := english_on(client.get(url).content.decode(), allowed):
            found[name] = english
    refused = client.post(reverse("login"), {"username": agent_a.email, "password": "not the password"})
    if english := english_on(refused.content.decode(), allowed):
        found["sign in, refused"] = english
    assert not found, found


def test_the_english_detector_finds_english_and_spares_what_is_allowed():
    html = """<html><head><title>पोर्टल</title><script>var notEnglish = 1;</script></head><body>
      <p>निर्यातक <b>Kaveri Handlooms</b> का GSTIN 33AAACK1234F1Z5</p>
      <a href="/x" aria-label="Open the menu">मेनू</a><span translate="no">Sri Venkateswara</span>
      <input type="submit" value="Save"><p>ईमेल agent@alpha.example · https://kaveri.en.alibaba.com/x</p>
    </body></html>"""
    assert english_on(html, ALLOWED | {"kaveri", "handlooms"}) == ["Open the menu", "Save"]
    assert Path(CATALOGUE).exists()
