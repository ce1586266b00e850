"""What a link text or a URL says it leads to: the privacy policy, a cookie policy, terms, or nothing.

The words of the major languages (link texts as sites write them; URL path words as they appear in
paths, ASCII or percent-encoded). One scorer for link texts and one for URLs: both pure, and both
used by the index evidence (CDX) and the homepage evidence (links), so the two agree on what a
candidate is.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

PRIVACY, COOKIES, TERMS = "privacy", "cookies", "terms"

# Link texts that name the privacy policy itself, by language (lower case, accents kept; matched on the
# text folded the same way). A phrase is stronger evidence than a single word.
PRIVACY_PHRASES = (
    # en
    "privacy policy", "privacy notice", "privacy statement", "privacy & cookie", "privacy and cookie",
    "data protection policy", "data privacy", "data policy", "privacy information",
    # de
    "datenschutzerklärung", "datenschutzhinweise", "datenschutzrichtlinie", "datenschutzinformation",
    "datenschutzbestimmungen",
    # fr
    "politique de confidentialité", "déclaration de confidentialité", "protection des données",
    "données personnelles", "vie privée", "charte de confidentialité",
    # es, pt, it
    "política de privacidad", "aviso de privacidad", "protección de datos", "política de privacidade",
    "aviso de privacidade", "proteção de dados", "informativa sulla privacy", "informativa privacy",
    "protezione dei dati",
    # nl, sv, da, no, fi
    "privacybeleid", "privacyverklaring", "integritetspolicy", "dataskyddspolicy", "privatlivspolitik",
    "persondatapolitik", "personvernerklæring", "tietosuojaseloste", "tietosuojakäytäntö",
    # pl, cs, hu, ro, tr, el
    "polityka prywatności", "ochrana osobních údajů", "zásady ochrany osobních údajů", "adatvédelmi",
    "politica de confidențialitate", "politica de confidentialitate", "gizlilik politikası",
    "kişisel verilerin korunması", "πολιτική απορρήτου",
    # ru, uk
    "политика конфиденциальности", "политика обработки персональных данных", "політика конфіденційності",
    # ja, zh, ko
    "プライバシーポリシー", "個人情報保護方針", "個人情報の取り扱い", "隐私政策", "隐私声明", "隱私權政策",
    "隱私政策", "개인정보처리방침", "개인정보 처리방침", "개인정보취급방침",
    # ar, he, hi, th, vi, id/ms
    "سياسة الخصوصية", "מדיניות פרטיות", "गोपनीयता नीति", "นโยบายความเป็นส่วนตัว", "chính sách bảo mật",
    "chính sách quyền riêng tư", "kebijakan privasi", "dasar privasi",
)  # fmt: skip

# Single words that say privacy when no phrase matched (weaker evidence).
PRIVACY_WORDS = (
    "privacy", "datenschutz", "confidentialité", "privacidad", "privacidade", "riservatezza", "privacybeleid",
    "integritet", "personvern", "tietosuoja", "prywatność", "prywatności", "soukromí", "adatvédelem",
    "confidențialitate", "gizlilik", "απόρρητο", "конфиденциальность", "конфіденційність", "プライバシー",
    "個人情報", "隐私", "隱私", "개인정보", "الخصوصية", "פרטיות", "गोपनीयता", "ความเป็นส่วนตัว",
    "quyền riêng tư", "privasi", "dsgvo", "kvkk",
)  # fmt: skip

# Links that speak of privacy but are not the policy: settings, choices, opt-outs.
NOT_THE_POLICY = (
    "settings", "preferences", "choices", "do not sell", "don't sell", "opt out", "opt-out", "manage",
    "einstellungen", "paramètres", "gérer", "configuración", "configurações", "impostazioni", "instellingen",
    "inställningar", "request", "anfrage", "demande", "solicitud",
)  # fmt: skip

COOKIE_WORDS = (
    "cookie", "cookies", "クッキー", "쿠키", "ملفات تعريف الارتباط", "çerez", "файлы cookie",
)  # fmt: skip

TERMS_WORDS = (
    "terms", "conditions", "legal notice", "imprint", "impressum", "agb", "nutzungsbedingungen",
    "conditions générales", "mentions légales", "cgu", "términos", "condiciones", "aviso legal", "termos",
    "termini", "condizioni", "note legali", "voorwaarden", "villkor", "vilkår", "ehdot", "regulamin",
    "kullanım koşulları", "условия", "правила", "利用規約", "服务条款", "使用條款", "이용약관", "الشروط",
    "tos",
)  # fmt: skip

# URL path words: what a path (or host) says, in ASCII transliteration or percent-encoded UTF-8.
PRIVACY_PATH = (
    "privacy", "privacidad", "privacidade", "privacybeleid", "privacyverklaring", "datenschutz",
    "dataprotection", "data-protection", "data_protection", "datapolicy", "data-policy", "confidentialit",
    "vie-privee", "donnees-personnelles", "protection-des-donnees", "proteccion-de-datos",
    "protecao-de-dados", "protezione-dati", "riservatezza", "integritet", "personvern", "personuppgift",
    "privatliv", "persondata", "tietosuoja", "prywatnos", "ochrana-osobnich", "ochrana-soukromi", "gizlilik",
    "kvkk", "konfidentsialnost", "konfidencijnist", "adatvedelem", "privasi", "dsgvo", "gdpr",
    "%e3%83%97%e3%83%a9%e3%82%a4%e3%83%90%e3%82%b7%e3%83%bc",  # プライバシー
    "%e9%9a%90%e7%a7%81",  # 隐私
    "%e9%9a%b1%e7%a7%81",  # 隱私
    "%ea%b0%9c%ec%9d%b8%ec%a0%95%eb%b3%b4",  # 개인정보
    "%d0%ba%d0%be%d0%bd%d1%84%d0%b8%d0%b4%d0%b5%d0%bd%d1%86",  # конфиденц
)  # fmt: skip
COOKIE_PATH = ("cookie",)
TERMS_PATH = (
    "terms", "conditions", "tos", "agb", "impressum", "imprint", "cgu", "cgv", "mentions-legales",
    "nutzungsbedingungen", "terminos", "condiciones", "termos", "termini", "voorwaarden", "villkor",
)  # fmt: skip
# Path words that say "not the policy itself" (a settings page, an opt-out form, a news item).
NOT_THE_POLICY_PATH = ("settings", "preferences", "choices", "opt-out", "optout", "request", "form", "/blog/", "/news/")
# Files that are never a policy (the index lists everything of a domain).
NOT_A_DOCUMENT_EXT = re.compile(
    r"\.(?:css|js|mjs|json|xml|png|jpe?g|gif|svg|webp|ico|woff2?|ttf|eot|mp[34]|webm|zip|gz)$", re.I
)


def fold(text: str) -> str:
    """Lower case, NFKC, one space between words: how link texts are compared."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip()


_FOLDED = {name: tuple(fold(w) for w in words) for name, words in {
    "privacy_phrases": PRIVACY_PHRASES,
    "privacy_words": PRIVACY_WORDS,
    "not_policy": NOT_THE_POLICY,
    "cookies": COOKIE_WORDS,
    "terms": TERMS_WORDS,
}.items()}  # fmt: skip


def _has_word(text: str, word: str) -> bool:
    """``word`` in ``text``; for Latin-script words only at word boundaries ("tos" is not in "photos")."""
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


class Reading(NamedTuple):
    """What a link text or URL says: the kind of page and how strongly (0 = nothing)."""

    kind: str | None
    strength: float


def read_text(text: str) -> Reading:
    """What a link's text says it leads to. A privacy phrase is 3, a privacy word 2; a cookie or terms page 1."""
    t = fold(text)
    if not t or len(t) > 80:  # a paragraph that mentions privacy is not a footer link
        return Reading(None, 0.0)
    if any(p in t for p in _FOLDED["privacy_phrases"]):
        strength = 3.0
    elif any(_has_word(t, w) for w in _FOLDED["privacy_words"]):
        strength = 2.0
    else:
        strength = 0.0
    if strength and any(_has_word(t, w) for w in _FOLDED["not_policy"]):
        return Reading(None, 0.0)
    if strength:
        return Reading(PRIVACY, strength)
    if any(_has_word(t, w) for w in _FOLDED["cookies"]):
        return Reading(COOKIES, 1.0)
    if any(_has_word(t, w) for w in _FOLDED["terms"]):
        return Reading(TERMS, 1.0)
    return Reading(None, 0.0)


def read_url(url: str) -> Reading:
    """What a URL's host and path say. A privacy word is 2 (1 in a host name only); a cookie or terms word 1."""
    parts = urlsplit(url)
    path = parts.path.lower()
    if NOT_A_DOCUMENT_EXT.search(path):
        return Reading(None, 0.0)
    raw = path + ("?" + parts.query.lower() if parts.query else "")
    decoded = fold(unquote(raw))
    text = raw + " " + decoded
    host = (parts.hostname or "").lower()
    if any(w in text for w in NOT_THE_POLICY_PATH):
        return Reading(None, 0.0)
    if any(w in text for w in PRIVACY_PATH) or any(_has_word(decoded, w) for w in _FOLDED["privacy_words"]):
        return Reading(PRIVACY, 2.0)
    if any(w in host for w in PRIVACY_PATH):
        return Reading(PRIVACY, 1.0)
    if any(w in text for w in COOKIE_PATH):
        return Reading(COOKIES, 1.0)
    if any(re.search(rf"(?<![a-z0-9]){w}(?![a-z0-9])", text) for w in TERMS_PATH):
        return Reading(TERMS, 1.0)
    return Reading(None, 0.0)


def index_pattern() -> str:
    """A regular expression for the CDX ``original`` field: URLs whose path or name may say privacy, cookies
    or terms (case-insensitive; ``.*`` around it because the Internet Archive matches the whole field)."""
    words = sorted({*PRIVACY_PATH, *COOKIE_PATH}, key=len, reverse=True)
    alternatives = "|".join(re.escape(w).replace("\\-", "[-_]?") for w in words)
    return f"(?i).*({alternatives}).*"
