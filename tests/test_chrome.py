"""Version identity on pages with furniture: each noise class seen on real archives, as a history of
fixture pages (tests/fixtures/noise), must give one version per policy text -- no more."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.derive import derive

from .test_derive import build
from .test_storage import capture, snapshot

NOISE = Path(__file__).parent / "fixtures" / "noise"


def pages(names) -> list[tuple[str, str, bytes]]:
    """(timestamp, digest, body) of captures a month apart showing the fixture pages in order."""
    return [(f"2020{i + 1:02d}01000000", name, (NOISE / name).read_bytes()) for i, name in enumerate(names)]


def history(tmp_path, *names: str):
    """A store whose captures show the fixture pages in order, derived."""
    store = build(tmp_path, pages(names))
    derive(store)
    return store


def versions(store) -> list[int]:
    return [v for (v,) in store.query("SELECT version_id FROM spans ORDER BY position")]


def test_a_sidebar_of_rotating_headlines_makes_no_version(tmp_path):
    store = history(tmp_path, "sidebar-1.html", "sidebar-2.html", "sidebar-3.html")
    spans = versions(store)
    assert len(spans) == 2 and spans[0] != spans[1]  # the third capture's policy edit, nothing else
    (text,) = store.query("SELECT text FROM versions WHERE id = ?", (spans[0],))[0]
    assert "Latest news" not in text and "Lisbon" not in text


def test_a_promo_strip_replacing_the_menu_is_learnt_as_furniture_of_the_page(tmp_path):
    store = history(tmp_path, "promo-1.html", "promo-2.html", "promo-3.html")
    spans = versions(store)
    assert len(spans) == 2 and spans[0] != spans[1]
    texts = [t for (t,) in store.query("SELECT text FROM versions ORDER BY id")]
    assert all("Try it on the web" not in t for t in texts)
    # what was learnt, with its evidence, for a researcher to see
    (row,) = store.query("SELECT url, pairs, first_from_ts, first_to_ts, before_text, after_text FROM learnt_chrome")
    url, pairs, first_from, first_to, before, after = row
    assert url == "https://a.example/privacy" and pairs == 1
    assert (first_from, first_to) == ("20200101000000", "20200201000000")
    assert before == "" and "Try it on the web" in after  # the menu itself is left out as link-dense


def test_tab_links_appended_under_the_policy_make_no_version(tmp_path):
    store = history(tmp_path, "tabs-1.html", "tabs-2.html", "tabs-1.html")
    assert len(set(versions(store))) == 1 and len(versions(store)) == 1


def test_replacement_characters_that_come_and_go_make_no_version(tmp_path):
    store = history(tmp_path, "replacement-1.html", "replacement-2.html", "replacement-1.html")
    assert len(versions(store)) == 1
    (text,) = store.query("SELECT text FROM versions")[0]
    assert "\ufffd" not in text and "don't sell" in text


def test_replacement_characters_in_the_earliest_capture_still_give_the_clean_text(tmp_path):
    store = history(tmp_path, "replacement-2.html", "replacement-1.html")
    assert len(versions(store)) == 1
    (text,) = store.query("SELECT text FROM versions")[0]
    assert "\ufffd" not in text


def test_a_list_re_marked_as_paragraphs_is_one_version_with_a_cosmetic_layout_change(tmp_path):
    store = history(tmp_path, "list-1.html", "list-2.html", "list-1.html")
    assert len(versions(store)) == 1
    (text,) = store.query("SELECT text FROM versions")[0]
    assert "- Access your data" in text  # the text keeps the structure of its earliest capture
    rows = store.query("SELECT from_ts, to_ts FROM cosmetic_layout_changes ORDER BY from_ts")
    assert rows == [("20200101000000", "20200201000000"), ("20200201000000", "20200301000000")]
    assert store.query("SELECT count(*) FROM changes")[0][0] == 0


def test_a_real_edit_next_to_furniture_changes_is_still_a_version(tmp_path):
    # the furniture changes in the same capture as the policy: the edit is found, and no furniture
    # is learnt from that pair
    store = history(tmp_path, "sidebar-2.html", "promo-3.html")
    assert len(set(versions(store))) == 2
    assert store.query("SELECT count(*) FROM template_chrome")[0][0] == 0


def test_what_was_learnt_does_not_depend_on_the_order_captures_arrived_in(tmp_path):
    names = ("promo-1.html", "promo-2.html", "promo-3.html")
    a = history(tmp_path / "a", *names)
    timeline = pages(names)
    b = build(tmp_path / "b", timeline[2:])  # the latest capture first, then the earlier ones one by one
    derive(b)
    target = b.query("SELECT id FROM targets")[0][0]
    for ts, name, body in timeline[:2]:
        capture(b, target, ts, name)
        snapshot(b, name, ts, body)
        derive(b)
    sql = "SELECT slot, pairs, first_from_ts, before_text, after_text FROM template_chrome"
    assert a.query(sql) == b.query(sql)
    texts = "SELECT text_hash, text FROM versions v WHERE capture_count > 0 ORDER BY first_seen"
    assert a.query(texts) == b.query(texts)


def test_a_page_date_in_the_footer_new_on_every_deploy_is_learnt_once_it_shows_several_values(tmp_path):
    store = history(tmp_path, "updated-1.html", "updated-2.html", "updated-3.html")
    assert len(versions(store)) == 1
    ((pairs,),) = store.query("SELECT pairs FROM template_chrome")
    assert pairs == 2 and "Page last updated" not in store.query("SELECT text FROM versions")[0][0]


def test_a_stated_date_that_changed_once_is_still_a_version(tmp_path):
    # two values only: it may be the policy's own date, so it is not learnt
    store = history(tmp_path / "a", "updated-1.html", "updated-2.html")
    assert len(versions(store)) == 2 and store.query("SELECT count(*) FROM template_chrome") == [(0,)]


def test_a_line_at_the_edge_of_the_policy_changing_on_every_visit_is_furniture(tmp_path):
    store = history(tmp_path, "visited-1.html", "visited-2.html", "visited-3.html")
    assert len(versions(store)) == 1
    (slot,) = store.query("SELECT slot FROM template_chrome")[0]
    assert slot.startswith("main:")


def test_a_real_edit_of_a_short_block_at_the_edge_of_the_policy_is_a_version(tmp_path):
    # before, after, and back: two values, whatever the number of pairs
    store = history(tmp_path, "contact-1.html", "contact-2.html", "contact-1.html", "contact-2.html")
    assert len(versions(store)) == 4 and len(set(versions(store))) == 2
    assert store.query("SELECT count(*) FROM template_chrome") == [(0,)]


def test_a_layout_table_with_a_visitor_counter_makes_no_version(tmp_path):
    store = history(tmp_path, "table-1.html", "table-2.html")
    assert len(versions(store)) == 1
    (text,) = store.query("SELECT text FROM versions")[0]
    assert text.startswith("# Privacy Policy") and "visitor" not in text and " | " not in text


def test_a_permalink_mark_beside_a_heading_makes_no_version(tmp_path):
    store = history(tmp_path, "permalink-1.html", "permalink-2.html")
    assert len(versions(store)) == 1


def test_a_soft_404_in_the_site_s_template_is_not_a_policy(tmp_path):
    store = history(tmp_path, "not-found.html")
    assert store.query("SELECT state, reason FROM captures") == [("skipped", "not a policy: soft 404 (page not found)")]


def test_the_policy_s_own_date_changing_with_each_version_is_never_furniture(tmp_path):
    store = history(tmp_path, "dated-1.html", "dated-2.html", "dated-3.html")
    assert len(set(versions(store))) == 3 and store.query("SELECT count(*) FROM template_chrome") == [(0,)]


def test_the_policy_s_contact_address_changing_again_and_again_is_never_furniture(tmp_path):
    store = history(tmp_path, "contact-1.html", "contact-2.html", "contact-3.html", "contact-1.html")
    assert len(set(versions(store))) == 3 and store.query("SELECT count(*) FROM template_chrome") == [(0,)]


def test_a_build_date_under_the_policy_that_follows_the_captures_is_learnt_as_furniture(tmp_path):
    # each capture shows the day before or so: the page's build date, not the policy's (whose date stays put)
    store = history(tmp_path, "built-1.html", "built-2.html", "built-3.html")
    assert len(versions(store)) == 1
    (slot,) = store.query("SELECT slot FROM template_chrome")[0]
    assert slot.startswith("main:") and "Last updated on" not in store.query("SELECT text FROM versions")[0][0]


def test_an_advertisement_between_blocks_of_the_policy_makes_no_version(tmp_path):
    store = history(tmp_path, "ad-1.html", "ad-2.html", "ad-3.html")
    assert len(versions(store)) == 1
    (text,) = store.query("SELECT text FROM versions")[0]
    assert "Advertisement" not in text and "Outlet" not in text and "## Sharing" in text


def test_a_closing_line_that_comes_goes_and_comes_back_changed_is_the_policy_s(tmp_path):
    # three texts (without it, with it, with it changed) seen in three pairs: a block that came or went
    # shows no value of its own, so two values only -- never furniture
    store = history(tmp_path, "contact-1.html", "closing-1.html", "contact-1.html", "closing-2.html")
    assert len(versions(store)) == 4 and len(set(versions(store))) == 3
    assert store.query("SELECT count(*) FROM template_chrome") == [(0,)]


def test_a_promo_strip_that_came_while_the_policy_s_bytes_broke_is_still_learnt(tmp_path):
    # the policy differs only by undecodable bytes: the pair still shows the strip changing alone
    store = history(tmp_path, "promo-1.html", "promo-broken.html")
    assert len(versions(store)) == 1
    (slot,) = store.query("SELECT slot FROM template_chrome")[0]
    assert not slot.startswith("main:") and "Try it on the web" not in store.query("SELECT text FROM versions")[0][0]


def test_a_redesign_adding_a_title_line_and_a_review_date_keeps_the_version(tmp_path):
    store = history(tmp_path, "redesign-1.html", "redesign-2.html", "redesign-2.html")
    assert len(versions(store)) == 1
    (text,) = store.query("SELECT text FROM versions")[0]
    assert "printable version" not in text  # the version's text is its earliest capture's
    # what the template brought, for a researcher to see, and the pair recorded as a cosmetic change: the
    # title is a region beside the policy that came (learnt from this pair); a date is learnt from one
    # pair only with the redesign (a "Last updated" line may be the policy's own, dated edit)
    learnt = dict(store.query("SELECT slot, after_text FROM learnt_chrome"))
    assert learnt == {"html/body/main.legal/div.doc-head (above the policy)": "Example Inc. printable version",
                      "redesign 20200201000000": "Last updated on January 28, 2020"}
    assert store.query("SELECT from_ts, to_ts FROM cosmetic_layout_changes")[0] == ("20200101000000", "20200201000000")


@pytest.mark.parametrize(
    "page",
    [
        "redesign-edit.html",  # a sentence added to the policy with the redesign
        "redesign-dated.html",  # "Last updated on March 1, 2018" in a capture of 2020: the policy's own date
        "redesign-notice.html",  # a link to a supplemental notice, a short plain block at the policy's end
        "redesign-label.html",  # a title line, the page's frame unchanged: no redesign
    ],
)
def test_a_line_that_is_the_policy_s_makes_a_version_even_at_a_redesign(tmp_path, page):
    store = history(tmp_path, "redesign-1.html", page)
    assert len(set(versions(store))) == 2
    assert store.query("SELECT count(*) FROM template_chrome WHERE slot LIKE 'redesign %'") == [(0,)]


def test_a_styled_element_of_the_new_template_inside_the_policy_s_block_keeps_the_version(tmp_path):
    store = history(tmp_path, "redesign-1.html", "redesign-tip.html")
    assert len(versions(store)) == 1
    assert store.query("SELECT after_text FROM learnt_chrome WHERE slot LIKE 'redesign %'") == [
        ("Tip: press / to search the help centre",)
    ]


def test_a_back_link_on_top_of_the_policy_s_block_at_a_redesign_keeps_the_version(tmp_path):
    store = history(tmp_path, "redesign-1.html", "redesign-title.html")
    assert len(versions(store)) == 1




def test_a_line_learnt_at_the_edge_stays_furniture_when_the_policy_s_list_is_re_marked(tmp_path):
    store = history(tmp_path, "visited-1.html", "visited-2.html", "visited-3.html", "visited-4.html")
    assert len(versions(store)) == 1


def test_a_policy_block_taking_the_place_of_learnt_furniture_is_kept(tmp_path):
    store = history(tmp_path, "visited-1.html", "visited-2.html", "visited-3.html", "visited-intro.html")
    assert len(versions(store)) == 2
    (text,) = store.query("SELECT text FROM versions WHERE id = ?", (versions(store)[1],))[0]
    assert "We wrote this policy in plain words for everyone." in text


def test_policy_sentences_moving_to_another_region_of_a_new_template_are_never_learnt():
    import json

    from crawler.derive.chrome import learn
    from crawler.store import Reading

    intro = ["We collect the information you give us when you create an account.",
             "We use it to run the service and to keep your account secure."]
    main = ["## Sharing"] + [f"We share data of kind {n} with processors that act on our behalf." for n in range(20)]

    def reading(ts: str, regions: list, lines: list[str]) -> Reading:
        text = "\n\n".join(lines)
        return Reading(1, 1, "https://a.example/privacy", ts, "fetched", True, "html-3", "policy", None, ts, text,
                       None, ts, json.dumps(regions))

    before = reading("20200101000000", [["html/body/table/tr/td/p", 2], ["", len(main)]], intro + main)
    moved = ["Acme printable version", *intro, *main]
    after = reading("20200201000000", [["html/body/div/p", 3], ["", len(main)]], moved)
    assert learn([before, after]) == {}  # the intro moved with the template: it is the policy's, not furniture
