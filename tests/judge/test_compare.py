"""compare: trivial page churn stays unchanged/minor, real edits drift, replacements are off topic.

Pages are article-length texts built deterministically from fixed paragraphs.
Each case's measures are in its test id (`pytest -v`) and printed with `-s`;
the expected bands are in CASES.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.judge.compare import (
    TextComparison,
    compare_texts,
    cosine,
    hamming64,
    normalize_text,
    simhash64,
    similarity,
    text_hash,
    text_signature,
    unified_diff,
)
from archiver.models import ContentChange
from archiver.settings import HealthSettings

HEALTH = HealthSettings()

PARAGRAPHS = [
    "Marlow Bay will replace every lead service line in the city within eight years, the water utility announced on "
    "Tuesday, after a winter of sampling found lead above the federal action level in one in nine homes tested in the "
    "older neighbourhoods north of the harbour.",
    "The plan, approved unanimously by the utility board, calls for crews to dig up and replace roughly 14,000 pipes "
    "that connect water mains to individual houses. Most of those lines were laid before 1950, when lead was still the "
    "material of choice for plumbers because it was cheap, durable and easy to bend around obstacles.",
    "Officials said the work would begin in the spring in Harbour Heights and Eastfield, where the oldest housing stock "
    "is concentrated and where the highest readings were recorded. Residents there will receive letters explaining how "
    "to schedule an inspection and what to expect when crews arrive on their street.",
    "The utility estimates the programme will cost about 310 million dollars. Roughly half is expected to come from "
    "federal infrastructure grants, with the rest financed through low interest state loans and a modest increase in "
    "water rates that would add a few dollars a month to the average household bill.",
    "Homeowners will not be charged for the portion of the line on their property, a departure from earlier proposals "
    "that would have split the cost. Advocates had argued that such a requirement would leave renters and low income "
    "families exposed, since landlords and struggling owners often decline optional repairs.",
    "Dr. Alicia Romero, a paediatrician who has treated children from the affected neighbourhoods, welcomed the "
    "decision but said the timeline was too slow. Eight years is a childhood, she said. Every month a child drinks that "
    "water is a month we cannot give back, and the damage lead does to a developing brain is permanent.",
    "In the meantime the utility will distribute certified filters to every household on its inventory of known or "
    "suspected lead lines, and it has begun adding orthophosphate to the water supply. The compound forms a thin "
    "mineral coating inside old pipes that reduces the amount of metal that dissolves into standing water.",
    "Engineers cautioned that the inventory itself is incomplete. Records from the early twentieth century were kept "
    "on paper cards, many of which were lost in a warehouse fire, and crews often discover the material of a service "
    "line only when they expose it. The utility has asked residents to check the pipe where it enters the basement.",
    "Other cities have shown that faster replacement is possible. Newark replaced more than 20,000 lines in under three "
    "years after a public health emergency, using a streamlined permit process and contractors working in parallel "
    "crews. Marlow Bay officials said they studied that effort closely but face tighter labour constraints.",
    "The board will publish a map of planned work by neighbourhood next month and hold public meetings in each ward. "
    "Residents can request a free water test through the utility website or by calling its customer service line, and "
    "results are usually returned within three weeks.",
]

EDITED_PARAGRAPHS = {  # index -> rewritten paragraph: a correction, a new quote, a changed plan
    3: "The utility now puts the cost of the programme at 355 million dollars, up from an earlier estimate, after "
    "bids from contractors came in higher than expected. Federal grants are still expected to cover a large share, "
    "but board members conceded that rate increases may need to be steeper than first proposed.",
    5: "Dr. Alicia Romero, a paediatrician in Harbour Heights, said in an interview on Wednesday that parents in her "
    "practice were relieved but anxious. They want dates, she said, not promises, and they want to know whether the "
    "filters handed out this spring actually work in homes with the worst readings.",
}
ADDED_PARAGRAPHS = [
    "Correction: an earlier version of this article misstated the number of homes tested. The utility sampled 2,140 "
    "homes, not 1,240, and the share above the action level was one in nine among homes in the older neighbourhoods.",
    "Several council members have since called for an independent audit of the inventory, arguing that the paper "
    "records and the lost cards make it impossible to know how many lead lines remain. The utility said it would "
    "welcome an audit and has hired a consulting firm to survey a sample of streets with ground penetrating radar.",
    "State regulators said they would review the revised plan before releasing the second round of loans. A spokesman "
    "for the environment department said the agency expects the utility to meet the new federal rule requiring most "
    "lead lines to be replaced within ten years, and that it would not grant extensions lightly.",
]

OTHER_TOPIC = [
    "Harbour United came from two goals down to beat Castleford Rovers three to two on Saturday, with the winning goal "
    "arriving deep in stoppage time when substitute striker Tomasz Lewandowski headed in a corner at the far post.",
    "Rovers had dominated the first half, pressing high and forcing mistakes from a nervous United defence. Their captain "
    "opened the scoring with a curling free kick after twenty minutes, and a counter attack doubled the lead before the "
    "break as the home crowd grew restless and the manager paced the touchline.",
    "The turnaround began when United switched to a back three and pushed their wing backs forward. Midfielder Sam "
    "Okafor pulled a goal back with a low drive from the edge of the penalty area, and the equaliser followed ten "
    "minutes later from a scramble in the box that the referee confirmed after a lengthy video review.",
    "Castleford's goalkeeper made several fine saves to keep his side level, tipping a volley onto the crossbar and "
    "smothering a one on one chance, but the pressure told in the final minutes as Rovers tired and stopped clearing "
    "their lines. Their coach blamed the schedule, pointing to a cup tie played only three days earlier.",
    "The victory lifts United into the promotion places for the first time this season, two points clear of their "
    "nearest rivals with eight matches left. Supporters stayed long after the final whistle, singing the name of the "
    "substitute who had not scored since his transfer in the summer window.",
    "United travel to Ashby Town next weekend, while Rovers host the league leaders in a fixture that could decide "
    "whether they remain in the playoff race. Tickets for the away section are expected to sell out within hours.",
    "Both clubs reported strong attendance figures, and the league said it would examine footage of a touchline "
    "confrontation between the two benches during the second half before deciding whether to bring charges.",
    "Lewandowski, who joined from a club in the Polish top flight for an undisclosed fee, admitted afterwards that the "
    "months on the bench had tested his patience. He thanked the supporters who had kept faith with him and said the "
    "goal was for his family, who had travelled from Gdansk to watch him play for the first time in England.",
    "The manager refused to single out his defenders for criticism, saying the team had learned more from ninety "
    "difficult minutes than from a comfortable win. He confirmed that the club captain would miss the next fixture "
    "with a hamstring strain and that the academy goalkeeper would stay on the bench as cover.",
]


def page(paragraphs=PARAGRAPHS, *, title="Lead pipes to be replaced citywide within eight years",
         byline="By Dana Whitfield", stamp="Published March 12, 2024 at 2:05 pm. Updated 5 minutes ago.",
         counters="1,234 views · 56 comments · 789 shares",
         ad="Advertisement: Save 20% on home insurance with Brightside today",
         token="Session 8f3a9c2d4e1b7a6f5c0d9e8b csrf dGhpcyBpcyBhIHRlc3QgdG9rZW4 nonce YWJjZGVmZ2hpamtsbW5vcA"):
    """An extracted article page: header, body with an ad line in the middle, footer."""
    body = list(paragraphs)
    body.insert(len(body) // 2, ad)
    return "\n\n".join([title, byline, stamp, counters,
                        *body, "Share this article", token])


def edited_page() -> str:
    paragraphs = [EDITED_PARAGRAPHS.get(i, text) for i, text in enumerate(PARAGRAPHS)]
    return page([ADDED_PARAGRAPHS[0], *paragraphs[:7], ADDED_PARAGRAPHS[1], *paragraphs[7:], ADDED_PARAGRAPHS[2]])


BASELINE = page()
CASES = [  # id, current page, the changes allowed
    ("timestamps", page(stamp="Published March 12, 2024 at 2:05 pm. Updated 3 hours ago. Modified 2024-03-14T09:41:07Z"),
     {ContentChange.UNCHANGED, ContentChange.MINOR}),
    ("counters", page(counters="98,410 views · 1,003 comments · 12,377 shares"), {ContentChange.UNCHANGED}),
    ("session_tokens", page(token="Session 1c0ffee4d2b8e9a7f3c5b6a1 csrf ZXhhbXBsZSBzZWNyZXQgdmFsdWU nonce "
                                  "cXVpY2tCcm93bkZveEp1bXBz"), {ContentChange.UNCHANGED}),
    ("rotating_ad", page(ad="Advertisement: Discover weekend getaways along the northern coast, book now and save"),
     {ContentChange.MINOR}),
    ("byline_date", page(stamp="Published April 2, 2024 at 9:15 am. Updated yesterday."), {ContentChange.MINOR}),
    ("all_trivial_at_once", page(stamp="Published April 2, 2024 at 9:15 am. Updated 7 hours ago.",
                                 counters="2,001 views · 71 comments · 903 shares",
                                 ad="Sponsored: The best running shoes of the year, reviewed by our experts",
                                 token="Session 77aa00bb11cc22dd33ee44ff csrf T3RoZXJUb2tlblZhbHVlSGVyZQ"),
     {ContentChange.MINOR}),
    ("edited_30pct", edited_page(), {ContentChange.DRIFTED}),
    ("replaced_other_topic", page(OTHER_TOPIC, title="Late header sends Harbour United into promotion places",
                                  byline="By Marcus Reed", stamp="Published March 16, 2024 at 6:40 pm."),
     {ContentChange.OFF_TOPIC}),
    ("gutted_to_teaser", page(PARAGRAPHS[:1]), {ContentChange.OFF_TOPIC}),
]


def _case_id(case_id: str, current: str) -> str:
    """The case name with its measures, so `pytest -v` lists the scores the bands were checked against."""
    result = compare_texts(BASELINE, current, HEALTH)
    return (f"{case_id}-{result.change}-sim{result.similarity:.3f}-simhash{result.simhash_distance}"
            f"-cos{result.cosine:.3f}-words{result.word_ratio:.2f}")


def test_pages_are_article_length():
    for text in [BASELINE, *(current for case_id, current, _ in CASES if case_id != "gutted_to_teaser")]:
        assert 400 <= len(text.split()) <= 1000, len(text.split())


@pytest.mark.parametrize("case_id, current, allowed", CASES, ids=[_case_id(c[0], c[1]) for c in CASES])
def test_compare_texts_bands(case_id, current, allowed):
    result = compare_texts(BASELINE, current, HEALTH)
    print(f"\n{case_id}: {result.change} similarity={result.similarity} simhash_distance={result.simhash_distance} "
          f"cosine={result.cosine} word_ratio={result.word_ratio}")
    assert result.change in allowed, result


def test_edited_article_rewrites_a_fifth_to_two_fifths_of_its_paragraphs():
    before, after = BASELINE.split("\n\n"), edited_page().split("\n\n")
    new = [paragraph for paragraph in after if paragraph not in before]
    assert 0.2 <= len(new) / len(after) <= 0.4
    assert compare_texts(BASELINE, edited_page(), HEALTH).cosine >= 0.5  # still about the same thing, by a wide margin


def test_unchanged_means_equal_normalised_text():
    result = compare_texts(BASELINE, BASELINE, HEALTH)
    assert result == TextComparison(ContentChange.UNCHANGED, 1.0, 0, 1.0, 1.0)
    assert text_hash(BASELINE) == text_hash(BASELINE.upper().replace("\n\n", "  \n"))


def test_empty_texts():
    assert compare_texts("", "", HEALTH).change is ContentChange.UNCHANGED
    vanished = compare_texts(BASELINE, "", HEALTH)
    assert (vanished.change, vanished.word_ratio, vanished.similarity) == (ContentChange.OFF_TOPIC, 0.0, 0.0)
    appeared = compare_texts("", BASELINE, HEALTH)
    assert appeared.change is ContentChange.DRIFTED  # nothing to be off topic from


@pytest.mark.parametrize("before, after", [
    ("1,234 views", "98,765 views"),
    ("Updated 2024-03-12T14:05:33Z", "Updated 2025-11-02T08:00:01Z"),
    ("session 8f3a9c2d4e1b7a6f", "session b71e2d0c9a8f6e5d"),
    ("token dGhpcyBpcyBhIHRlc3QgdG9rZW4", "token cXVpY2tCcm93bkZveEp1bXBz"),  # base64 with and without digits
    ("id 550e8400-e29b-41d4-a716-446655440000", "id 123e4567-e89b-12d3-a456-426614174000"),
])
def test_normalize_masks_numbers_and_tokens(before, after):
    assert normalize_text(before) == normalize_text(after)


def test_normalize_keeps_words():
    assert normalize_text("Internationalization and MacDonald’s café") == "internationalization and macdonald s café"


def test_similarity_and_cosine_ranges():
    assert similarity("", "") == 1.0 and similarity("a b c", "") == 0.0
    assert similarity(BASELINE, BASELINE) == 1.0
    assert cosine("\n\n".join(PARAGRAPHS), "\n\n".join(OTHER_TOPIC)) < HEALTH.off_topic_similarity
    assert hamming64(simhash64(BASELINE), simhash64(BASELINE)) == 0


def test_unified_diff_is_paragraph_based():
    diff = unified_diff("one\n\ntwo\n\nthree", "one\n\n2\n\nthree", context=1)
    assert diff.splitlines() == ["--- baseline", "+++ now", "@@ -1,3 +1,3 @@", " one", "-two", "+2", " three"]
    assert unified_diff(BASELINE, BASELINE) == ""
    assert "+Correction: an earlier version" in unified_diff(BASELINE, edited_page(), from_label="2024", to_label="2025")


def simhash_by_definition(text: str) -> int:
    """Charikar's simhash spelled out bit by bit: the slow definition the stored fingerprints follow."""
    words = normalize_text(text).split()
    shingles = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)] if len(words) >= 3 else [" ".join(words)] * bool(words)
    hashes = [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles]
    unsigned = sum(1 << bit for bit in range(64) if 2 * sum(h >> bit & 1 for h in hashes) > len(hashes))
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


@given(st.text(alphabet=st.sampled_from("abc de fg 12 \n"), max_size=300))
def test_simhash_matches_its_definition_and_the_signature(text):
    assert simhash64(text) == simhash_by_definition(text)
    assert text_signature(text) == (text_hash(text), simhash64(text))


def test_simhash_of_article_texts_matches_its_definition():
    assert simhash64(BASELINE) == simhash_by_definition(BASELINE)
    assert simhash64(edited_page()) == simhash_by_definition(edited_page())
