"""Body-link rules: what is a reference in a news body and what only sits beside one."""

from __future__ import annotations

from archiver.extract import extract

URL = "https://news.example/2024/05/01/story"
PARA = "Officials said the plan would cost more than expected, according to documents seen by reporters. "


def body_links(body: str) -> list[tuple[str, str]]:
    html = (f"<html><head><title>Story</title></head><body><nav><a href='/'>Home</a></nav><article>"
            f"<h1>Story</h1><p>{PARA * 3}</p>{body}<p>{PARA * 3}</p></article></body></html>")
    return [(link.url, link.text) for link in extract(html, URL).links]


def test_embedded_tweet_links_are_citations():
    tweet = ('<blockquote class="twitter-tweet"><p lang="en">Highlights from our win '
             '<a href="https://t.co/BUPgYtgHaY">pic.twitter.com/BUPgYtgHaY</a></p>&mdash; West Ham (@WestHam) '
             '<a href="https://twitter.com/WestHam/status/1454931184966770696">October 31, 2021</a></blockquote>')
    assert body_links(tweet) == [("https://t.co/BUPgYtgHaY", "pic.twitter.com/BUPgYtgHaY"),
                                 ("https://twitter.com/WestHam/status/1454931184966770696", "October 31, 2021")]


def test_related_read_more_and_bio_blocks_are_not_references():
    body = (f"<p>{PARA}<a href='https://court.example/ruling.pdf'>the ruling</a> says so.</p>"
            "<p>Related: <a href='https://news.example/2024/04/01/other'>Rich are paying more in taxes</a></p>"
            "<p>Lire aussi : <a href='https://news.example/2024/03/01/autre'>Les critiques de la CNIL</a></p>"
            "<div class='related-posts'><a href='https://news.example/2024/02/01/x'>Another story</a></div>"
            "<p>Follow Jo Writer on Twitter <a href='https://twitter.com/jowriter'>@jowriter</a></p>"
            "<div class='author-bio'>Jo writes about courts. <a href='https://jo.example/'>Jo's site</a></div>"
            "<p>Get the morning briefing: <a href='https://news.example/newsletters/morning'>sign up</a>.</p>"
            # the Washington Post's old follow line, whose #! URLs name no profile once the fragment is gone
            "<p><strong>Follow The Fact Checker on <a href='https://twitter.com/#!/FactChecker'>Twitter</a>"
            "</strong></p>"
            "<p>View the latest <a href='https://news.example/vouchercodes/argos'>Argos</a> deals</p>")
    assert body_links(body) == [("https://court.example/ruling.pdf", "the ruling")]


def test_affiliate_redirects_and_image_links_without_alt_are_dropped_alt_text_is_the_anchor():
    body = (f"<p>{PARA}Buy it at <a href='https://go.redirectingat.com/?id=1&url=https%3A%2F%2Fshop.example'>"
            "Amazon</a> or <a href='https://shop.example/item'>the maker's shop</a>"
            " (<a href='http://www.awin1.com/cread.php?awinmid=1751&p=https%3A%2F%2Fshop.example'>£129.99</a>,"
            " the Telegraph's redirector in tests/extract/corpus/telegraph-deals).</p>"
            "<figure><a href='https://cdn.example/full.jpg'><img src='a.jpg'></a>"
            "<a href='https://cdn.example/full2.jpg'><img src='b.jpg' alt='12-IMG_3886.jpg'></a>"
            "<a href='https://photos.example/dam'><img src='c.jpg' alt='The dam at dawn'></a>"
            "<figcaption>Photo: <a href='https://photographer.example/'>A. Photographer</a></figcaption></figure>")
    assert body_links(body) == [("https://shop.example/item", "the maker's shop"),
                                ("https://photos.example/dam", "The dam at dawn"),
                                ("https://photographer.example/", "A. Photographer")]


def test_a_list_of_this_sites_headlines_after_a_more_line_is_a_related_block():
    body = (f"<p>{PARA}</p><p>More games news:</p><ul>"
            "<li><a href='https://news.example/2024/04/02/a'>Review: a game</a></li>"
            "<li><a href='https://news.example/2024/04/03/b'>Review: another game</a></li></ul>"
            "<p>Sources:</p><ul><li><a href='https://stats.example/table'>The statistics office's table</a></li></ul>")
    assert body_links(body) == [("https://stats.example/table", "The statistics office's table")]


def test_another_port_on_the_same_host_is_another_site():
    html = (f"<html><body><article><p>{PARA}<a href='http://127.0.0.1:8002/'>the other server</a> and "
            f"<a href='http://127.0.0.1:8001/'>this site's home</a>.</p><p>{PARA * 3}</p></article></body></html>")
    links = extract(html, "http://127.0.0.1:8001/story").links
    assert [link.url for link in links] == ["http://127.0.0.1:8002/"]
