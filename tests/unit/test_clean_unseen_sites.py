"""Body rules written for sites the cleaner was never tuned on, one small real-looking page each.

Each rule was chosen from the per-page losses on the development sets (dev and readability
pages, scored by site folds) and is what a news-extraction rule would say anyway; every test
here fails on the cleaner before its rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_clean_removed import STORY

from pipeline.clean import clean
from pipeline.records import CleanedArticle

FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)


def run(html: str, url: str = "https://news.example.com/2025/06/harbour") -> CleanedArticle:
    return clean(html, url, source_id="test", fetched_at=FETCHED_AT)


def test_a_responses_drawer_before_the_story_does_not_take_the_story_with_it():
    # Medium puts its (empty, script-filled) "Responses" drawer before the post, in the same
    # wrapper; the comments section it opens stops short of the element holding the headline.
    html = (
        "<html><body><div class='root'>"
        "<div class='drawer'><div class='pane'><h2>Responses</h2></div></div>"
        "<div class='post'>"
        "<div class='section'><h1>Harbour reopens</h1>"
        f"{''.join(f'<p>{text}</p>' for text in STORY)}</div></div>"
        "</div></body></html>"
    )
    article = run(html)
    assert article.text == "\n\n".join(STORY)
    assert article.title == "Harbour reopens"


def test_real_comments_after_the_story_still_go():
    comments = "".join(
        f"<div class='c'><b>Reader {n}</b><p>I have lived here for thirty years and the harbour "
        f"has never looked better; the council should be proud of the crews who rebuilt it.</p>"
        "</div>"
        for n in range(4)
    )
    html = (
        "<html><body><div class='root'><div class='post'><h1>Harbour reopens</h1>"
        f"{''.join(f'<p>{text}</p>' for text in STORY)}</div>"
        f"<div class='x'><h2>4 Comments</h2>{comments}</div></div></body></html>"
    )
    assert run(html).text == "\n\n".join(STORY)


# A travel blog post in Chinese: short lines of hanzi without a full stop, and a comments
# section whose readers write longer, punctuated lines.
CJK_STORY = [
    "一波波接續性低溫寒流報到 已將新竹尖石鄉後山一帶層層山巒披上嫣紅的彩衣",
    "玉峰道路一路上雲氣山嵐滯留山頭 順路下切蜿蜒道路後不久即抵達來到玉峰國小",
    "美樹美如其名偌大楓香樹早已呈現金黃 泛紅色彩也是愛攝人仕所喜愛造訪之地",
    "第二次造訪美樹發現到營區變了 印象中以前生冷招牌換成了原木招牌可謂匠心獨運",
    "燻黑原木加上金黃色醒目字體 加上了貓頭鷹原木創作也充分發揮了裝飾藝術功力",
    "營區內除了露營、民宿、餐飲、賞楓項目多了許多原木飾品更有畫龍點睛加乘效果",
]
CJK_COMMENT = (
    "先來說個老梗～落花並非無情物，化作春泥更護花！落葉鋪成的地毯真的感覺粉溫馨吼？"
    "你們南來北往大會師噢？美樹營地好美呢！偶們一心一意直奔司馬庫斯所以沒有近來賞景。"
)


def test_short_cjk_lines_without_full_stops_are_prose():
    comments = "".join(
        f"<li class='reply'><span>讀者{n} 於 2014/01/03 22:44</span><p>{CJK_COMMENT}</p></li>"
        for n in range(3)
    )
    html = (
        "<html><head><title>新竹尖石_美樹營地賞楓</title></head><body>"
        "<div class='article-box'><div class='article-content'>"
        f"{''.join(f'<p>{line}</p>' for line in CJK_STORY)}</div>"
        f"<div class='user-post-box'><ul class='single-post'>{comments}</ul></div>"
        "</div></body></html>"
    )
    assert run(html, "https://blog.example.tw/blog/post/39926056").text == "\n\n".join(CJK_STORY)


def test_a_section_headed_response_is_part_of_the_story():
    # A technical post on the Fetch API has sections "Request" and "Response"; the second is
    # not the heading of a comments section. "1 Response" with its count still is.
    sections = {
        "Request": "The Request interface describes a request to fetch a resource over HTTP, "
        "with its method, headers, body and the mode that governs cross-origin requests.",
        "Response": "Response instances are returned by calls to fetch(); they carry the status, "
        "the headers with their guard, and a body that can be read once as text or JSON.",
    }
    story = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections.items())
    html = (
        "<html><body><article class='post'><h1>This API is so Fetching!</h1>"
        f"<p>{STORY[0]}</p><p>{STORY[1]}</p>{story}</article></body></html>"
    )
    text = run(html).text
    assert text.endswith(sections["Response"]) and "Response\n\n" in text
    counted = html.replace("</article>", "<h2>1 Response</h2><p>" + STORY[2] + "</p></article>")
    assert run(counted).text == text


def story_page(closing: str, *, before: str = "") -> str:
    paragraphs = "".join(f"<p>{text}</p>" for text in STORY)
    return (
        "<html><body><div class='page'><article><h1>Harbour reopens</h1>"
        f"{before}{paragraphs}{closing}</article></div></body></html>"
    )


CLOSING_LINES = {
    "tip": "<p>Have a tip? Amy Kuperinsky may be reached at akuperinsky@example.com. Follow her "
    "on Twitter @AmyKup.</p>",
    "bio": "<p>Eric Song is the site's deal curator and spends 25% of his pay on stuff he "
    "posts.</p>",
    "forums": "<p>Join our forums to keep talking about the harbour and the coast! And if you "
    "have a news tip, send it to us.</p>",
    "coverage": "<p>Follow AP's full coverage of the storms at https://apnews.com/storms</p>",
    "membership": "<h3>Something to Consider</h3><p>If you enjoyed this article, we have a "
    "proposition for you: join our members and get all of our content.</p>",
    "credit": "<p>Additional reporting by Joseph Hudak</p>",
    "citation": "<p>Explore further</p><p>Citation: Harbour reopens (2019, November 18) "
    "retrieved 20 November 2019 from https://news.example.com/harbour</p>",
    "magazine": "<p>Get Harbour Monthly delivered through your letterbox every month. 12 issues "
    "for £11.99.</p>",
    "several": "<p>Additional reporting by Joseph Hudak</p><figure><figcaption>The sea wall, "
    "rebuilt.</figcaption></figure><p>Listen to Harbour Radio live at 12:45 weekdays.</p>",
    # Seventh round, found on the English pages of trafilatura's evaluation set.
    "letters": "<p>We want to hear what you think about this article. Submit a letter to the "
    "editor or write to letters@example.com.</p>",
    "apps": "<p>For the latest stories and breaking news updates download the Harbour News apps "
    "for iOS and Android.</p>",
    "posted-in": "<p>This entry was posted in Harbour. Bookmark the permalink.</p>",
    "founder-bio": "<p>Jane Doe is the founder of Harbour Watch, a charity for coastal towns.</p>",
    # Eighth round: a press release's issuer, longer than other closing lines (Ascom's pages).
    "issuer": "<div><p>Harbour Ferries is a leading operator of passenger ferries in the North "
    "Sea, with routes between eleven ports. "
    + "Its fleet of twenty ships carries two million passengers a year. " * 6
    + "</p><p>Harbour Ferries is headquartered in Aberdeen and employs 900 people.</p></div>",
    # Ninth round: the disclosure Amazon asks of its affiliates (The Washington Post's pages).
    "amazon-associates": "<p>We are a participant in the Amazon Services LLC Associates "
    "Program, an affiliate advertising program designed to provide a means for us to earn fees "
    "by linking to Amazon.com and affiliated sites.</p>",
}


@pytest.mark.parametrize("closing", CLOSING_LINES.values(), ids=CLOSING_LINES.keys())
def test_lines_that_close_a_story_page_are_not_the_story(closing):
    assert run(story_page(closing)).text == "\n\n".join(STORY)


def test_closing_lines_are_reported_with_their_reason():
    article = run(story_page(CLOSING_LINES["tip"] + CLOSING_LINES["forums"]))
    reasons = {removal.reason: removal.sample for removal in article.removed}
    assert reasons["promo"].startswith("Join our forums")
    assert reasons["author_box"].startswith("Have a tip?")


def test_the_same_words_inside_the_story_stay():
    # Only what follows the last paragraph is a closing line; a how-to step is not a call to
    # action either.
    inside = (
        "<p>Join us on the quay at noon, the harbour master told the crews on Tuesday.</p>"
        "<p>Harbour Ferries is a leading operator of ferries, and it said it would add sailings."
        "</p>"
    )
    # A story about ad blockers tells of them in the third person.
    inside += (
        "<p>Publishers say one reader in four runs an ad blocker, and some ask them to disable "
        "it.</p>"
    )
    # A closing sentence about a company, told with a pronoun, is the story's.
    last = "<p>It is the first company in the county to run electric ferries, the council said.</p>"
    step = "<p>Sign up for the bundle using the same email as your harbour account</p>"
    article = run(story_page(step, before=inside))
    assert article.text.startswith("Join us on the quay") and article.text.endswith("account")
    assert run(story_page(last)).text.endswith("the council said.")


BOILERPLATE_ANYWHERE = {
    "affiliate": "<p>If you buy something through this post, the site may get a share of the "
    "sale. For more, learn more.</p>",
    "gallery-counter": "<div class='gallery'><p>Image 1 of 8</p><p>1 / 8</p>"
    "<p>Back to Gallery</p></div>",
    "player-controls": "<div class='player'><p>Play Video</p><p>Mute</p><p>Current Time 0:00</p>"
    "<p>Loaded: 0%</p><p>Full Screen</p><p>Caption</p><p>Close</p></div>",
    "byline-with-outlet": "<p>By Kelli Miller WebMD Health News</p>",
    "table-of-contents": "<div class='toc'><p>Table of Contents</p><ul><li><a href='#a'>The "
    "wall</a></li><li><a href='#b'>The boats</a></li></ul></div>",
    "more-news-pointer": "<p>More harbour news: Ferry timetable changes for the winter</p>",
    "you-may-also-like": "<p>You may also like...</p>",
    "subscribe-button": "<p>Subscribe</p>",
    "reuse-notice": "<p>This document is subject to copyright. Apart from any fair dealing, no "
    "part may be reproduced without the written permission.</p>",
    "full-story-paywall": "<p>To view the full story, please subscribe to Harbour News. You can "
    "choose an annual subscription or a weekly pass.</p>",
    "already-subscribed": "<p>If you're seeing this message but you're already a subscriber, "
    "you can log in for immediate access to this story.</p>",
    "monthly-newsletter": "<p>Receive our monthly newsletter to stay on top of the latest "
    "articles from the harbour.</p>",
    "advertisers": "<p>This post contains references to products from one or more of our "
    "advertisers. We may receive compensation when you click on links to those products.</p>",
    # Ninth round, a closing line of Postlight's fixtures (Observer).
    "ad-blocker": "<p>Click the AdBlock Plus button on your browser and select Disable on "
    "news.example.com.</p>",
    "ad-blocker-please": "<p>Please turn off your ad blocker to keep reading the harbour news.</p>",
}


@pytest.mark.parametrize("line", BOILERPLATE_ANYWHERE.values(), ids=BOILERPLATE_ANYWHERE.keys())
def test_boilerplate_lines_go_wherever_they_stand(line):
    html = story_page("").replace(f"<p>{STORY[1]}</p>", f"{line}<p>{STORY[1]}</p>")
    assert run(html).text == "\n\n".join(STORY)


def test_section_ids_made_from_headings_do_not_name_widgets():
    # Sphinx and many CMSs give each section an id made of its heading's words; "Sharing with
    # a single developer" is a section of the guide, not a share bar.
    sections = [
        ("sharing-with-a-single-developer", "Sharing with a single developer", STORY[1]),
        ("comments-on-the-council-report", "Comments on the council report", STORY[2]),
    ]
    body = "".join(
        f"<div class='section' id='{ident}'><h2>{heading}</h2><p>{text}</p></div>"
        for ident, heading, text in sections
    )
    html = (
        "<html><body><div class='document'><h1>Harbour guide</h1>"
        f"<p>{STORY[0]}</p>{body}</div></body></html>"
    )
    assert run(html).text.split("\n\n") == [
        STORY[0],
        "Sharing with a single developer",
        STORY[1],
        "Comments on the council report",
        STORY[2],
    ]


def test_widget_ids_still_name_widgets():
    share = (
        "<div id='share-buttons-top'><p>Share this story with your friends on Facebook.</p></div>"
    )
    html = story_page("").replace(f"<p>{STORY[1]}</p>", f"{share}<p>{STORY[1]}</p>")
    assert run(html).text == "\n\n".join(STORY)


def test_a_hover_card_inside_a_paragraph_is_not_read_in_its_sentence():
    """Before: "Gov. Kristi NoemKristi Lynn NoemSouth Dakota governor doubles down ..." (The
    Hill's people cards, one dev page). A screen-reader-only aside inside a paragraph goes the
    same way; the name the card is for stays. Eighth round."""
    card = (
        "<span class='rollover-people'><a href='/people/jane-doe'>Jane Doe</a>"
        "<span class='rollover-people-block'><a class='name' href='/people/jane-doe'>Jane Q. "
        "Doe</a><a href='/news/1'>Doe backs the harbour plan</a> <a href='/news/2'>Doe visits "
        "the port</a></span></span>"
    )
    first = f"<p>Mayor {card} (R) said the harbour would reopen on Wednesday after the repairs.</p>"
    sr = "<p>The sea wall<span class='sr-only'> (opens in a new window)</span> was rebuilt.</p>"
    html = story_page("", before=first + sr)
    text = run(html).text
    assert text.startswith(
        "Mayor Jane Doe (R) said the harbour would reopen on Wednesday after the repairs."
        "\n\nThe sea wall was rebuilt."
    )


def test_paragraphs_marked_as_behind_the_paywall_are_the_story():
    """Bloomberg, The New Yorker and Wired mark each paragraph after the free ones with
    `<p class="paywall">`: the text the wall covers, not the wall. Before, only the free
    paragraph was kept (The New Yorker: 983 of 9,357 characters, Postlight's fixtures). The
    wall's own prompt still goes. Ninth round."""
    behind = "".join(f"<p class='paywall'>{text}</p>" for text in STORY[1:])
    prompt = (
        "<div class='paywall-prompt'><p>Subscribe to continue reading: unlimited access to "
        "every story for one euro a week.</p></div>"
    )
    html = (
        "<html><body><div class='page'><div class='article__body'><h1>Harbour reopens</h1>"
        f"<p>{STORY[0]}</p>{behind}{prompt}</div></div></body></html>"
    )
    assert run(html).text == "\n\n".join(STORY)


def test_a_comments_heading_made_of_a_named_anchor_opens_the_comments():
    """taz.de: `<h2><a name="Leserkommentare">` heads a thread that holds more prose than the
    story. An `<a>` without href is an anchor, not a link, so the heading is a heading without
    links; before, the thread (read as the story's wrapper for its size) was kept. Ninth
    round (trafilatura's evaluation pages)."""
    thread = "".join(
        f"<li><h4>Reader {n}</h4><p>I have lived by this harbour for thirty years and I do not "
        "believe the council when it says the repairs were finished on time; the sea wall was "
        "breached twice before and every time they told us the same thing about the budget "
        f"and the crews.</p><a href='/reply/{n}'>antworten</a></li>"
        for n in range(6)
    )
    html = (
        "<html><body><div class='pages'><div class='page story'><h1>Harbour reopens</h1>"
        f"{''.join(f'<p>{text}</p>' for text in STORY)}</div>"
        "<div class='page community'><div class='secthead'><h2><a name='Leserkommentare'>"
        f"<span>Leserkommentare</span></a></h2></div><ul class='sectbody'>{thread}</ul></div>"
        "</div></body></html>"
    )
    assert run(html).text == "\n\n".join(STORY)


def test_a_box_named_as_a_paywall_that_holds_the_story_is_the_story():
    """uebermedien.de: the story's paragraphs sit in "entry__content steady-paywall-container"
    (Steady's paywall covers it), and the readers' comments below hold more prose than the
    story, so the wrapper guard did not save it: the page had no body. The wall's prompt, a
    few short lines in a box of the same name, still goes. Ninth round."""
    story = [*STORY, *(f"{text[:-1]}, the council said on Thursday." for text in STORY)]
    comments = "".join(
        f"<div class='c'><p>Reader {n}: I have lived by this harbour for thirty years and the "
        "council has promised a new sea wall in every election since; I will believe it when "
        "the boats can stay in the basin through a whole winter of storms.</p></div>"
        for n in range(12)
    )
    prompt = (
        "<div class='paywall-container'><p>Möchten Sie weiterlesen?</p><p>Ja. Ich bin "
        "Abonnent. Anmelden</p></div>"
    )
    html = (
        "<html><body><main><article class='post'><h1>Harbour reopens</h1>"
        "<div class='entry__content steady-paywall-container'>"
        f"{''.join(f'<p>{text}</p>' for text in story)}</div>{prompt}</article>"
        f"<section><h2>12 Kommentare</h2>{comments}</section></main></body></html>"
    )
    assert run(html).text == "\n\n".join(story)


def test_a_story_written_by_script_is_read_from_its_noscript_copy():
    """Blogger (security.googleblog.com, trafilatura's evaluation pages) writes the post from a
    `<script type="text/template">` and keeps a copy in `<noscript>` for readers without
    script; before, the page had no body. Ninth round."""
    paragraphs = "".join(f"<p>{text}</p>" for text in STORY)
    html = (
        "<html><body><div class='post'><h1>Harbour reopens</h1><div class='post-body'>"
        f"<script type='text/template'>{paragraphs}</script><noscript>{paragraphs}"
        "<img src='/pixel.gif'></noscript></div></div></body></html>"
    )
    assert run(html).text == "\n\n".join(STORY)


def test_noscript_is_not_read_when_the_page_has_a_story():
    noscript = (
        "<noscript><p>Please enable JavaScript to view the comments powered by Disqus, the "
        "discussion platform our readers use every day.</p></noscript>"
    )
    assert run(story_page(noscript)).text == "\n\n".join(STORY)


def _whole_story(headline: str, subject: str) -> str:
    paragraphs = "".join(
        f"<p>{subject} was the talk of the town on day {n}: the council met at noon, the "
        "crews worked through the night, and the harbour master said that traffic would be "
        "back to normal by the end of the week, once the last repairs to the wall were "
        f"signed off by the inspectors from the ministry.</p>"
        for n in range(5)
    )
    return f"<article class='list__item'><h2>{headline}</h2>{paragraphs}</article>"


def test_of_several_whole_stories_listed_on_a_page_the_headlines_is_the_story():
    """correctiv.org (trafilatura's pages): a series page lists its stories in full, one
    `<article>` each; the page's headline names the first. Before, all of them were the
    story (98,835 characters for a 9,640-character story). Ninth round."""
    first = _whole_story("Harbour reopens", "The harbour")
    html = (
        "<html><head><title>Harbour reopens</title></head><body><main><div class='list'>"
        f"{first}{_whole_story('Ferries return', 'The ferry')}"
        f"{_whole_story('Fish market moves', 'The fish market')}</div></main></body></html>"
    )
    text = run(html).text
    assert text.startswith("The harbour was the talk") and "ferry" not in text
    assert "fish market" not in text and text.count("\n\n") == 4


def test_a_live_blogs_entries_all_stay():
    # The headline stands above the entries, in none of them: every entry is the story.
    entries = _whole_story("10:02 Crews arrive", "The crew") + _whole_story(
        "11:15 Council meets", "The council"
    )
    html = (
        "<html><head><title>Harbour reopens: live</title></head><body><main>"
        f"<h1>Harbour reopens: live</h1><div class='feed'>{entries}</div></main></body></html>"
    )
    text = run(html).text
    assert "The crew was" in text and "The council was" in text


def _media_object(body: str) -> str:
    # drk.de's media object: the picture left, the story's next paragraphs right, in a box
    # named as a lightbox gallery; the lead sits before it.
    return (
        "<html><body><article><h1>Harbour reopens</h1>"
        f"<div class='o-textblock'><p>{STORY[0]}</p></div>"
        "<div class='o-media o-media--left js-lightbox-gallery'>"
        "<figure class='o-media__img'><img src='/harbour.jpg' alt='The harbour at dawn'></figure>"
        f"<div class='o-media__body'>{body}</div></div></article></body></html>"
    )


def test_paragraphs_beside_the_picture_of_a_gallery_named_box_are_the_story():
    # Before: the gallery's name made them captions, and the story was its first paragraph.
    article = run(_media_object(f"<p>{STORY[1]}</p><p>{STORY[2]}</p>"))
    assert article.text == "\n\n".join(STORY)


def test_a_slides_caption_beside_its_picture_stays_a_caption():
    # Guard: in a slideshow each caption shares an element with its picture.
    slides = "".join(
        f"<div class='slide'><img src='/{n}.jpg' alt=''><p>{text}</p></div>"
        for n, text in enumerate(STORY[1:])
    )
    html = (
        "<html><body><article><h1>Harbour reopens</h1>"
        f"<p>{STORY[0]}</p><p>{STORY[1]}</p>"
        f"<div class='gallery'><div class='slides'>{slides}</div></div></article></body></html>"
    )
    article = run(html)
    assert article.text == "\n\n".join(STORY[:2])
    assert [p.text for p in article.paragraphs if p.kind == "caption"] == STORY[1:]


def _walled(copy_class: str) -> str:
    # topagrar.com: a teaser, the wall's offer, and the whole story in a hidden box that the
    # site shows once the reader has subscribed.
    story = "".join(f"<p>{text}</p>" for text in STORY)
    return (
        "<html><body><article><h1>Harbour reopens</h1>"
        "<div class='paywall-offer'><p>Subscribe to read the whole story.</p></div>"
        f"<div style='display:none;' class='{copy_class}'>{story}</div>"
        "</article></body></html>"
    )


def test_a_paywalls_hidden_copy_of_the_story_is_the_story():
    # Before: the copy was hidden furniture, and the page gave no body.
    assert run(_walled("paywall-full-content")).text == "\n\n".join(STORY)


def test_other_hidden_boxes_stay_hidden():
    # Guard: hidden text not named as the paywall's stays out (a second copy, a modal).
    html = _walled("print-copy").replace(
        "</article>", "".join(f"<p>{text}</p>" for text in STORY[:2]) + "</article>"
    )
    assert run(html).text == "\n\n".join(STORY[:2])


@pytest.mark.parametrize("position", [1, 2])
def test_a_line_inserted_between_paragraphs_does_not_cut_a_short_story(position):
    # Before: the disclosure counted against the story's element, which then scored less
    # than its longest paragraph alone; the first paragraph was lost.
    paragraphs = [f"<p>{text}</p>" for text in STORY]
    paragraphs.insert(position, CLOSING_LINES["amazon-associates"])
    html = (
        "<html><body><div class='page'><article><h1>Harbour reopens</h1>"
        f"{''.join(paragraphs)}</article></div></body></html>"
    )
    article = run(html)
    assert article.text == "\n\n".join(STORY)
    assert any(removal.reason == "promo" for removal in article.removed)
