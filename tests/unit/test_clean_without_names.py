"""Page structures found without class names (issue 11's fourth round): a site whose class
names say nothing still sets a caption in the photo's own box or writes it into the photo's
alt text (pipeline/clean/photo_boxes.py), and may declare its readers' comments as
schema.org Comments. The fifth round adds sections opened by a "Related" or "About the author"
heading, forms whose paragraphs are field labels, controls declared by ARIA role, <label>s,
and galleries numbered "k/N".

Every class name here is opaque on purpose ("c7f2a9"), as on a site with hashed CSS names:
blocks.py's caption names do not apply. Each test marked so fails on the cleaner before the
rule; the guards pass on both.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_clean_removed import STORY

from pipeline.clean import clean
from pipeline.records import CleanedArticle

FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)
CAPTION = (
    "Fishing boats wait at the harbour entrance on Wednesday, June 4, 2025, as the repaired "
    "sea wall reopens. (AP Photo/Jane Doe)"
)


def run(body: str) -> CleanedArticle:
    html = (
        "<html><body><div class='c1a2b3'><div class='c9d8e7'><h1>The harbour reopens</h1>"
        f"{body}</div></div></body></html>"
    )
    return clean(
        html, "https://news.example.com/2025/06/harbour", source_id="test", fetched_at=FETCHED_AT
    )


def photo(alt: str = "", size: str = "") -> str:
    return f"<img src='/photos/harbour.jpg' alt='{alt}'{size}>"


def test_a_line_in_a_photo_s_own_box_is_its_caption():
    # Fails before the rule: the caption was the story's second paragraph.
    body = (
        f"<p>{STORY[0]}</p>"
        f"<div class='c7f2a9'><div class='c0e1d2'>{photo()}</div><div class='c3b4a5'>{CAPTION}"
        f"</div></div><p>{STORY[1]}</p><p>{STORY[2]}</p>"
    )
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert [p.text for p in article.paragraphs if p.kind == "caption"] == [CAPTION]


def test_a_line_that_repeats_a_photo_s_alt_text_is_its_caption():
    # Fails before the rule: a gallery's caption strip, away from its photo, read as story.
    gallery = (
        f"<div class='c5a6b7'>{photo(alt=CAPTION)}{photo(alt='Another photo')}</div>"
        f"<div class='c8c9d0'><div>{CAPTION}</div></div>"
    )
    body = f"{gallery}<p>{STORY[0]}</p><p>{STORY[1]}</p><p>{STORY[2]}</p>"
    assert run(body).text == "\n\n".join(STORY)


def test_the_story_s_paragraphs_beside_a_photo_stay():
    # Guard: the story's own box holds the photo and all its paragraphs.
    body = f"<div class='c2f3e4'>{photo()}" + "".join(f"<p>{t}</p>" for t in STORY) + "</div>"
    assert run(body).text == "\n\n".join(STORY)


def test_a_paragraph_with_a_photo_inline_stays():
    # Guard: the picture inside the paragraph's own element is not a box around it.
    body = f"<p>{photo()}{STORY[0]}</p><p>{STORY[1]}</p><p>{STORY[2]}</p>"
    assert run(body).text == "\n\n".join(STORY)


def test_the_lead_beside_a_figure_stays():
    # Guard: a photo in a <figure> has its box there; the paragraph next to it is the story's.
    body = (
        f"<div class='c4d5e6'><figure>{photo()}</figure><p>{STORY[0]}</p></div>"
        f"<p>{STORY[1]}</p><p>{STORY[2]}</p>"
    )
    assert run(body).text == "\n\n".join(STORY)


def test_a_line_beside_an_icon_stays():
    # Guard: a picture declared small is an icon (a formula, a logo), not a photo.
    body = (
        f"<p>{STORY[0]}</p><div class='c6e7f8'>{photo(size=' width=24 height=24')}"
        f"<div>{STORY[1]}</div></div><p>{STORY[2]}</p>"
    )
    assert run(body).text == "\n\n".join(STORY)


def test_a_paragraph_that_an_alt_text_only_starts_like_stays():
    # Guard: an alt text that opens like a story paragraph and then says something else.
    alt = STORY[1][:70] + " [File: Reuters]"
    body = f"<figure>{photo(alt=alt)}</figure><p>{STORY[0]}</p><p>{STORY[1]}</p><p>{STORY[2]}</p>"
    assert run(body).text == "\n\n".join(STORY)


def comment(name: str, text: str) -> str:
    return (
        "<article class='c0a0b0' itemscope itemtype='https://schema.org/Comment'>"
        f"<footer><cite itemprop='name'>{name}</cite> <time>June 2, 2025 at 7:07 pm</time>"
        f"</footer><div itemprop='text'><p>{text}</p></div></article>"
    )


COMMENTS = [
    ("Gaye", "Thanks so much for this long article about the harbour, it was a pleasure to read."),
    ("Jan Smith", "I sailed out of that harbour for thirty years and never saw the wall so low."),
    ("Pamela", "Thank you both for stopping by and for leaving a comment, you are awesome."),
]


def test_comments_declared_as_schema_org_comments_are_not_the_story():
    # Fails before the rule: with no comment names, the readers' comments read as the story.
    thread = "".join(f"<li class='c1c1c1'>{comment(*c)}</li>" for c in COMMENTS)
    body = "".join(f"<p>{t}</p>" for t in STORY) + f"<ol class='c2c2c2'>{thread}</ol>"
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "comments" in {removal.reason for removal in article.removed}


def test_a_story_declared_as_a_comment_wrapper_keeps_its_text():
    # Guard: an element declared a comment that holds the page's prose is its wrapper.
    body = (
        "<div itemscope itemtype='https://schema.org/UserComments'>"
        + "".join(f"<p>{t}</p>" for t in STORY)
        + "</div>"
    )
    assert run(body).text == "\n\n".join(STORY)


BIO = (
    "Dana Whitfield is the Senior Editor of Harbour News. Since joining in 2014, she has "
    "covered the port, the fleet and the town council."
)


def test_an_author_s_biography_with_a_title_cased_role_closes_no_story():
    # Fails before the rule: only a lower-case role ("is the senior editor") marked a biography.
    body = "".join(f"<p>{t}</p>" for t in STORY) + f"<div class='c3d3e3'><p>{BIO}</p></div>"
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "author_box" in {removal.reason for removal in article.removed}


def test_the_same_line_inside_the_story_stays():
    # Guard: a biography is only looked for after the story's last paragraph.
    body = f"<p>{STORY[0]}</p><p>{BIO}</p><p>{STORY[1]}</p><p>{STORY[2]}</p>"
    assert run(body).text == "\n\n".join([STORY[0], BIO, STORY[1], STORY[2]])


def reply_item(name: str, text: str) -> str:
    return (
        f"<li class='c4e4f4'><div><b>{name}</b> <span>June 2, 2025 at 7:07 pm</span></div>"
        f"<p>{text}</p><div class='c5f5a5'><a href='#reply'>Reply</a></div></li>"
    )


def test_a_thread_whose_items_each_have_a_reply_button_is_comments():
    # Fails before the rule: with no names and no "Comments" heading, the thread read as story.
    thread = "".join(reply_item(*c) for c in COMMENTS)
    body = "".join(f"<p>{t}</p>" for t in STORY) + f"<ol class='c6a6b6'>{thread}</ol>"
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "comments" in {removal.reason for removal in article.removed}


def test_one_reply_button_is_not_a_thread():
    # Guard: a single "Reply" link (a contact line, a lone comment) marks nothing.
    body = "".join(f"<p>{t}</p>" for t in STORY) + "<div><a href='#reply'>Reply</a></div>"
    assert run(body).text.startswith("\n\n".join(STORY))


# Issue 11's fifth round: a list of other stories under a heading that says so.
TEASERS = [
    (
        "Ferry timetable changes for the summer",
        "The island ferry adds two crossings a day from "
        "June, with a late boat on Fridays for commuters and visitors alike.",
    ),
    (
        "Lifeboat crew honoured for storm rescue",
        "Five volunteers who brought a trawler's crew "
        "ashore in the March storms received the service's bravery medal on Monday.",
    ),
    (
        "Fish market to move to the old rope works",
        "The council approved the move after a "
        "consultation in which most traders said the present hall had grown too small.",
    ),
]


def teasers(heading: str) -> str:
    items = "".join(
        f"<div class='c2b2c2'><h4><a href='/news/{n}'>{title}</a></h4><p>{blurb}</p></div>"
        for n, (title, blurb) in enumerate(TEASERS)
    )
    return f"<div class='c3c3d3'><h3>{heading}</h3><div class='c4d4e4'>{items}</div></div>"


@pytest.mark.parametrize(
    "heading",
    [
        "Related",
        "Related articles",
        "Most read in News",
        # Seventh round: the other languages of the trafilatura evaluation pages.
        "Explore further",
        "Ähnliche Beiträge",
        "Das könnte Sie auch interessieren",
        "Mehr zum Thema Hafen",
        "À lire aussi",
        "Noticias relacionadas",
        "Veja também:",
        "Leggi anche",
        "Zobacz także",
    ],
)
def test_the_stories_under_a_related_heading_are_not_the_story(heading: str) -> None:
    # Fails before the rule: each teaser's linked headline opens a blurb of prose, which kept
    # them (the gift-guide rule of the third round) when no class name said "related".
    body = "".join(f"<p>{t}</p>" for t in STORY) + teasers(heading)
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "related" in {removal.reason for removal in article.removed}


def test_a_related_heading_that_opens_most_of_the_story_keeps_it() -> None:
    # Guard: the heading's section holding the story's prose is the story's wrapper.
    section = "".join(f"<p>{t}</p>" for t in STORY)
    body = f"<div class='c5e5f5'><h3>Related coverage</h3><div>{section}</div></div>"
    assert run(body).text.endswith("\n\n".join(STORY))


def test_see_also_is_a_section_of_the_text() -> None:
    # Guard: "See also" closes a reference work's article (Wikipedia's) with its own links.
    body = "".join(f"<p>{t}</p>" for t in STORY) + teasers("See also")
    assert TEASERS[0][1] in run(body).text


COMMENT_FORM = (
    "<form action='/wp-comments-post.php' method='post' class='c6d6e6'>"
    "<p class='c7e7f7'>Your email address will not be published. Required fields are marked *</p>"
    "<p class='c8f8a8'><label>Comment</label><textarea name='comment'></textarea></p>"
    "<p class='c9a9b9'><label>Name *</label><input name='author' type='text'></p>"
    "<p class='c0b0c0'><label>Email *</label><input name='email' type='email'></p>"
    "<p class='c1c1d1'><label>Website</label><input name='url' type='url'></p>"
    "<p class='c2d2e2'><input type='checkbox'> Notify me of follow-up comments by email.</p>"
    "</form>"
)


def test_a_form_of_labelled_fields_is_not_the_story():
    # Fails before the rule: a form holding three <p>s was taken for a page wrapper, and a
    # comment form's labels and fine print read as the story's closing lines.
    body = "".join(f"<p>{t}</p>" for t in STORY) + COMMENT_FORM
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "form" in {removal.reason for removal in article.removed}


def test_a_form_around_the_story_is_a_page_wrapper():
    # Guard: an ASP.NET-style page is one <form>; its story's paragraphs are prose.
    html = (
        "<html><body><form method='post' action='/Default.aspx'><div class='c1a2b3'>"
        "<h1>The harbour reopens</h1>" + "".join(f"<p>{t}</p>" for t in STORY) + "</div>"
        "<input type='hidden' name='__VIEWSTATE' value='x'></form></body></html>"
    )
    article = clean(
        html, "https://news.example.com/2025/06/harbour", source_id="test", fetched_at=FETCHED_AT
    )
    assert article.text == "\n\n".join(STORY)


def test_a_script_s_controls_declared_by_role_are_not_the_story():
    # Fails before the rule: a video player's buttons are plain <div>s with role="button" or
    # "menuitem", and their labels read as lines of the story.
    player = (
        "<div class='c3e3f3'><div role='menuitem'><span>Playback Rate</span></div>"
        "<div role='button'><span>Audio Track</span></div>"
        "<div role='slider' aria-valuenow='0'><span>Progress</span>: 0%</div></div>"
    )
    body = f"<p>{STORY[0]}</p>{player}<p>{STORY[1]}</p><p>{STORY[2]}</p>"
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "controls" in {removal.reason for removal in article.removed}


def test_a_label_of_a_form_field_is_not_the_story():
    # Fails before the rule: a checkbox's label after the story, outside any form, was kept.
    consent = (
        "<div class='c4f4a4'><input type='checkbox' id='c1'><label for='c1'>I agree to the "
        "processing of my personal data for the purpose of creating an account.</label></div>"
    )
    body = "".join(f"<p>{t}</p>" for t in STORY) + consent
    assert run(body).text == "\n\n".join(STORY)


SLIDES = [
    (
        "Boats at dawn",
        "Fishing boats wait at the harbour entrance as the repaired sea wall "
        "reopens to traffic after three weeks of works.",
    ),
    (
        "The new wall",
        "Engineers inspect the new section of the sea wall, built with stone "
        "from the quarry that supplied the original in 1884.",
    ),
    (
        "High water",
        "The spring tide reached the top of the new wall on Saturday without a drop of water "
        "crossing onto the quay.",
    ),
    (
        "Back to work",
        "Crews unload the first catch landed at the harbour since the March "
        "storms breached the wall and flooded the quay.",
    ),
]


def test_a_gallery_whose_slides_are_counted_holds_captions():
    # Fails before the rule: with no class name saying "gallery", each slide's title and
    # caption read as story.
    slides = "".join(
        f"<div class='c5a5b5'><h3>{n}/{len(SLIDES)} {title}</h3><p>{text}</p></div>"
        for n, (title, text) in enumerate(SLIDES, start=1)
    )
    body = "".join(f"<p>{t}</p>" for t in STORY) + f"<div class='c6b6c6'>{slides}</div>"
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert SLIDES[0][1] in [p.text for p in article.paragraphs if p.kind == "caption"]


def test_fractions_in_a_recipe_are_no_counters():
    # Guard: "1/2 cup", "1/4 teaspoon", "3/4 cup" are quantities, not three slides of a total.
    recipe = (
        "<ul><li>1/2 cup of sugar, warmed</li><li>1/4 teaspoon of salt</li>"
        "<li>3/4 cup of milk</li><li>1/3 cup of butter</li></ul>"
    )
    body = f"<p>{STORY[0]}</p>{recipe}<p>{STORY[1]}</p><p>{STORY[2]}</p>"
    assert "1/4 teaspoon of salt" in run(body).text


def test_the_section_under_about_the_author_is_not_the_story():
    # Fails before the rule: with no class name saying "author", the biography under its
    # heading read as the story's last paragraph.
    bio = (
        "<div class='c7b7c7'><h4>About the Author</h4><p>Dana Whitfield covers the coast for "
        "the Gazette and hosts its weekly harbour podcast.</p></div>"
    )
    body = "".join(f"<p>{t}</p>" for t in STORY) + bio
    article = run(body)
    assert article.text == "\n\n".join(STORY)
    assert "author_box" in {removal.reason for removal in article.removed}
