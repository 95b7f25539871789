"""Article pages whose text changes between checks: the original, an edit, a soft 404."""

from __future__ import annotations

SENTENCES = [
    "The council approved the new transport budget after a long debate on Tuesday evening.",
    "Residents had asked for more frequent buses on the northern routes for several years.",
    "The plan adds two night lines and extends the tram to the hospital by next spring.",
    "Critics said the cost estimates relied on optimistic forecasts of ticket revenue.",
    "The mayor answered that the city had secured a regional grant covering half the cost.",
    "Construction is expected to start in March and to last about eighteen months.",
    "Shop owners along the route will receive compensation for the months of disruption.",
    "A public consultation on the station designs opens next week and runs until June.",
]


def page(title: str, sentences: list[str], extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{s} {s}</p>" for s in sentences)
    return (f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{extra}{paragraphs}</article></body></html>").encode()


ARTICLE_TEXT = SENTENCES * 2


EDITED_TEXT = SENTENCES[:5] + [
    "Update: the council has since withdrawn the tram extension after the grant was cancelled.",
    "Opposition members called the reversal a broken promise to the hospital's patients.",
    "The night lines will still open, but only on weekends, officials said on Friday.",
] + SENTENCES[:4] + ["The budget will now be debated again at the next session of the council in autumn."] * 2


SOFT_404 = page("Sorry", ["We looked everywhere but could not find the page you asked for on this site today."] * 6)


# Another subject altogether: a page that now says this has drifted off topic.
FOOTBALL = [
    "United scored twice in the second half to win the derby in front of a record crowd.",
    "The goalkeeper saved a penalty in the final minute to keep the clean sheet intact.",
    "Fans celebrated in the streets until late as the team climbed to the top of the table.",
    "The coach praised his midfield and said the title race was far from over this season.",
] * 4


DATE_IN_TEXT_ONLY = (b"<html><head><title>Notes</title></head><body><article><h1>Notes from the field</h1>"
                     b"<p>Filed 14 March 2021. The harbour works went on through the night and the crews finished "
                     b"the deck before dawn, according to the site manager.</p><p>More paragraphs of text follow "
                     b"here about the repairs and the schedule of the works.</p></article></body></html>")
