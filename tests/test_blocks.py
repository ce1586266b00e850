"""The HTML walk's furniture signals: each general signal drops what it should and keeps the policy."""

from __future__ import annotations

from crawler.extract import extract
from crawler.extract.normalize import version_key

PROSE = (
    "We collect personal data such as your name and e-mail address, share it with third parties that process it "
    "for us, keep it for as long as the law requires, use cookies, protect it with security measures, and honour "
    "your rights to access, correct and delete it. Children may not use the service. Contact us to exercise them."
)


def page(inside: str = "", beside: str = "", wrap: str = "div") -> bytes:
    """A policy in an unnamed block (no <main>, no <article>), with blocks inside it and beside it."""
    body = f'<{wrap} class="w3x"><div class="k2"><h1>Privacy Policy</h1><p>{PROSE}</p><p>{PROSE}</p>{inside}</div>'
    return f"<html><head><title>Privacy</title></head><body>{body}{beside}</{wrap}></body></html>".encode()


def read(html: bytes):
    result = extract(html, "text/html", explain=True)
    assert result.is_policy, result.reason
    return result.text, {d.reason.split(" (")[0] for d in result.dropped}


def test_a_link_dense_block_beside_the_policy_is_furniture_whatever_its_class():
    links = "".join(f'<a href="/n/{i}">Headline number {i} of the week</a> ' for i in range(6))
    text, why = read(page(beside=f'<div class="css-1x7d9q"><b>Latest</b> {links}</div>'))
    assert "Headline" not in text and "link-dense block outside the policy text" in why


def test_class_and_id_words_name_furniture_but_hashed_names_carry_no_signal():
    text, why = read(page(beside='<div class="site-sidebar">Follow us for news and offers</div>'))
    assert "Follow us" not in text and "class or id says 'sidebar'" in why
    text, _ = read(page(inside='<p class="css-1x7d9q">Ads are shown only with your consent.</p>'))
    assert "Ads are shown only with your consent." in text


def test_a_policy_section_called_cookies_or_sharing_is_kept():
    section = '<section id="cookies"><h2>Cookies</h2><p>We use cookies to keep you signed in.</p></section>'
    text, _ = read(page(inside=section + '<div id="sharing"><h2>Sharing</h2><p>We share with processors.</p></div>'))
    assert "## Cookies" in text and "We use cookies to keep you signed in." in text
    assert "We share with processors." in text


def test_a_form_wrapping_the_whole_page_is_not_furniture():
    text, _ = read(page(wrap="form"))
    assert text.startswith("# Privacy Policy") and PROSE in text


def test_a_table_of_contents_is_dropped_and_a_list_of_links_the_policy_gives_is_kept():
    toc = '<ul><li><a href="#a">What we collect</a></li><li><a href="#b">Your rights</a></li></ul>'
    browsers = (
        '<p>Change your cookie settings in your browser:</p><ul><li><a href="https://x.example/ff">Firefox</a></li>'
        '<li><a href="https://x.example/safari">Safari</a></li></ul>'
    )
    text, why = read(page(inside=toc + browsers))
    assert "What we collect" not in text and "table of contents" in why
    assert "- Firefox" in text and "- Safari" in text


def test_words_listed_with_a_table_of_contents_are_kept_when_its_links_are_dropped():
    # a heading numbered like the contents and run into their list (converted or hand-written markup)
    toc = '<ol><li><a href="#a">WHO WE ARE</a></li><li><a href="#b">YOUR RIGHTS</a></li><li>WHO WE ARE</li></ol>'
    as_paragraphs = '<p><a href="#a">WHO WE ARE</a></p><p><a href="#b">YOUR RIGHTS</a></p><p>WHO WE ARE</p>'
    listed, why = read(page(inside=toc))
    assert "YOUR RIGHTS" not in listed and "link within the page" in why
    assert listed.splitlines()[-1] == "3. WHO WE ARE"
    paragraphs, _ = read(page(inside=as_paragraphs))
    assert version_key(listed) == version_key(paragraphs)


def test_a_strip_of_tab_links_under_the_policy_is_dropped():
    text, why = read(page(inside='<div class="q1"><a href="/s">Sources</a> <a href="/h">History</a></div>'))
    assert "Sources" not in text and "links only" in why


def test_e_mail_links_are_policy_text_not_links():
    text, _ = read(page(inside='<div><a href="mailto:privacy@example.com">privacy@example.com</a></div>'))
    assert "privacy@example.com" in text


def test_interface_elements_and_hidden_blocks_are_dropped_with_their_reason():
    beside = '<div role="tablist">Overview Details</div><div hidden>Secret A/B copy</div><button>Accept</button>'
    text, why = read(page(beside=beside))
    assert "Overview" not in text and "Secret" not in text and "Accept" not in text
    assert {"tab strip", "hidden", "button"} <= why


def test_a_breadcrumb_and_a_back_to_top_link_are_navigation():
    crumbs = '<ol><li><a href="/">Home</a></li><li>›</li><li><a href="/help">Help</a></li><li>Privacy Policy</li></ol>'
    text, why = read(page(inside='<p><a href="#top">Back to top ↑</a></p>', beside=crumbs))
    assert "Home" not in text and "Back to top" not in text
    assert {"list whose items are all links", "link within the page"} <= why


def test_a_link_to_a_section_inside_a_sentence_is_kept():
    text, _ = read(page(inside='<p>Read <a href="#rights">your rights</a> before you sign up.</p>'))
    assert "Read your rights before you sign up." in text


def test_a_link_within_the_page_wrapped_in_inline_markup_inside_a_sentence_is_kept():
    text, _ = read(page(inside='<ul><li>You can ask for it <u><a href="#s13">here</a></u>.</li></ul>'))
    assert "- You can ask for it here." in text


def test_a_link_within_the_page_after_a_line_break_in_a_sentence_is_kept():
    sentence = '<p>We may collect more, as described below in<br><a href="#t">Third-Party Sites</a></p>'
    text, _ = read(page(inside=sentence))
    assert "as described below in Third-Party Sites" in " ".join(text.split())


def test_a_few_words_around_buttons_are_an_interface_widget_not_the_policy():
    helpful = (
        '<div class="q9"><p>Was this page helpful?</p><button>Yes</button><button>No</button>'
        "<p>1,496 of 1,874 found this helpful</p></div>"
    )
    text, why = read(page(inside=helpful))
    assert "helpful" not in text and "widget" in why
    # a sentence of the policy with a button in it stays: a paragraph inside the policy is its words
    text, _ = read(page(inside="<p>Change your choices at any time: <button>Cookie settings</button></p>"))
    assert "Change your choices at any time" in text


def test_a_link_standing_alone_between_blocks_is_a_page_action_and_a_link_in_a_paragraph_is_kept():
    text, why = read(page(inside='<a href="/edit/privacy.md">Edit this page</a>'))
    assert "Edit this page" not in text and "link standing alone between blocks" in why
    policy_links = '<p><a href="/cookies">Cookie Policy</a></p><a href="https://example.com/optout">example.com/optout</a>'
    text, _ = read(page(inside=policy_links))
    assert "Cookie Policy" in text and "example.com/optout" in text


def test_a_sponsored_link_inside_the_policy_is_an_advertisement():
    ad = (
        '<div class="k7"><small>Sponsored</small> '
        '<a href="https://ads.example/c/1" rel="nofollow sponsored">Save 20% on shoes</a></div>'
    )
    text, why = read(page(inside=ad))
    assert "Save 20%" not in text and "Sponsored" not in text and "advertisement" in why


def test_class_names_a_build_hashed_do_not_rename_a_region():
    def regions(name: str):
        beside = f'<div class="{name}"><p>Quote of the day: make it work.</p></div>'
        return extract(page(beside=beside), "text/html").regions

    assert regions("jsx-fgiqwu") == regions("jsx-kqzvbw") == regions("css-1x7d9q")
    assert regions("sidebar-quote") != regions("jsx-fgiqwu")
