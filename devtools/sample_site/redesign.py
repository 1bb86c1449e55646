"""A redesigned article page: what a publisher's move to client-side rendering does to a scraper.

Only the headline, the standfirst and the first body paragraph are in the HTML; the rest of the
story, its byline and its dates arrive as JSON for the browser's JavaScript to render. A
scraper still gets a page (HTTP 200, a title) but a stub of an article with no date and no
author: the sudden degradation that source health must catch. `SampleSite.redesign` swaps it
in for one template's stories, at the same URLs.
"""

from __future__ import annotations

import json
from html import escape

from devtools.sample_site.boilerplate import BRANDS
from devtools.sample_site.stories import Story


def render(story: Story, base: str) -> str:
    brand = BRANDS[story.template]
    first, *rest = story.body
    state = {
        "story": {
            "slug": story.slug,
            "authors": list(story.authors),
            "published": story.published_at.isoformat(),
            "paragraphs": rest,
        }
    }
    # "</" would end the script element early; JSON allows the escaped form.
    blob = json.dumps(state).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(story.title)} | {brand.name}</title>
<link rel="canonical" href="{base + story.path}">
<script type="module" src="/static/app.js"></script>
</head>
<body>
<div id="app">
<header><a href="/">{brand.name}</a></header>
<main>
<h1>{escape(story.title)}</h1>
<p class="standfirst">{escape(story.description)}</p>
<p>{escape(first)}</p>
<div class="story-rest" data-hydrate="story"></div>
</main>
</div>
<script id="__STATE__" type="application/json">{blob}</script>
</body>
</html>
"""
