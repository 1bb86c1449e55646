"""The page furniture text of the sample site: mastheads, banners, sign-up pitches, comments.

Rendering and the cleaner's ground truth both read these constants, so a wording change here
cannot silently stop the tests from checking for it.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLISHER = "Sample Media Group"
COPYRIGHT = f"© 2026 {PUBLISHER} Ltd. All rights reserved."


@dataclass(frozen=True)
class Brand:
    name: str
    newsletter: str
    newsletter_pitch: str
    cookie_text: str


BRANDS = {
    "ledger": Brand(
        name="The Sample Ledger",
        newsletter="The Morning Ledger",
        newsletter_pitch="Start every weekday with the five stories you need to know, "
        "straight to your inbox before 7am.",
        cookie_text="We use cookies and similar technologies to personalise content, "
        "measure audiences and show you relevant advertising.",
    ),
    "courier": Brand(
        name="The Courier",
        newsletter="Courier Daily",
        newsletter_pitch="Get our editors' pick of the day's news and analysis, "
        "free, every evening.",
        cookie_text="The Courier and our partners store and access information on your device "
        "to deliver and improve our services.",
    ),
    "gazette": Brand(
        name="The Gazette",
        newsletter="Gazette Weekly",
        newsletter_pitch="Our best journalism of the week, chosen by the editor and "
        "delivered every Saturday morning.",
        cookie_text="This website uses cookies. By continuing to browse the site you are "
        "agreeing to our use of cookies.",
    ),
}

ADVERTISEMENT = "Advertisement"
SHARE_LABELS = ("Share on X", "Share on Facebook", "Share on LinkedIn", "Copy link")
COOKIE_BUTTONS = ("Accept all cookies", "Manage preferences")
SKIP_LINK = "Skip to main content"
READ_MORE = "Read more:"
RELATED_HEADING = "Related stories"
MOST_READ_HEADING = "Most read"
LISTEN = "Listen to this article"
COMMENTS_PROMPT = (
    "Join the conversation. Comments are moderated and may take a few minutes to appear."
)
NOSCRIPT = "Please enable JavaScript to view the comments."
SUBSCRIBE_BUTTON = "Sign me up"
TOPICS_LABEL = "Topics:"
# Inline scripts carry these identifiers; an extractor that keeps script text leaks them.
SCRIPT_MARKERS = ("dataLayer", "courierEmbeds")

# Reader comments, reused across pages; each page shows two or three of them.
COMMENTS = (
    (
        "harbourwatcher",
        "I have lived here for thirty years and heard this promise at least four "
        "times. I will believe it when I see it finished, not when I see another press conference.",
    ),
    (
        "M. Okafor",
        "Good to see a piece that actually explains where the money comes from. Most "
        "coverage just repeats the headline figure without asking who ends up paying for it.",
    ),
    (
        "quietreader",
        "The quotes from people on the ground were the best part of this article. "
        "More of that, please, and fewer statements from spokespeople.",
    ),
    (
        "Gerry_B",
        "Does anyone know whether the full report is available online? I looked on the "
        "website mentioned and could only find a two-page summary.",
    ),
    (
        "Linnea",
        "Slightly disappointed that nobody mentions what happened the last time something "
        "similar was tried. There is plenty of history here that readers would find useful.",
    ),
    (
        "Tom Archer",
        "My brother works in this industry and says the real story is the staff "
        "shortage, which gets one line near the end. That deserves its own piece.",
    ),
    (
        "coastal_kate",
        "Balanced and clear. I did not agree with everything but I came away "
        "understanding both sides of the argument, which is rare these days.",
    ),
    (
        "R. Esposito",
        "Whoever wrote the headline should read the article again. The numbers "
        "further down tell a rather different story.",
    ),
    (
        "northern_lad",
        "Every year the same thing happens and every year we are told it was "
        "impossible to predict. At some point that stops being an excuse.",
    ),
    (
        "Dr P. Ahmed",
        "As someone who works in this field, I thought the explanation was accurate "
        "and refreshingly free of hype. Thank you for resisting the temptation to exaggerate.",
    ),
    (
        "wanderlust_mo",
        "Would love a follow-up in six months to see which of these promises were actually kept.",
    ),
    (
        "Hannah K",
        "Shared this with my parents, who have been following the story closely. They "
        "said it was the first explanation that made sense to them.",
    ),
)

JUNK_MARKERS: tuple[str, ...] = (
    COPYRIGHT,
    ADVERTISEMENT,
    *SHARE_LABELS,
    *COOKIE_BUTTONS,
    SKIP_LINK,
    READ_MORE,
    RELATED_HEADING,
    MOST_READ_HEADING,
    LISTEN,
    COMMENTS_PROMPT,
    NOSCRIPT,
    SUBSCRIBE_BUTTON,
    TOPICS_LABEL,
    *SCRIPT_MARKERS,
    *(text for brand in BRANDS.values() for text in (brand.newsletter_pitch, brand.cookie_text)),
    *(text for _, text in COMMENTS),
)
"""Strings of page furniture that must never appear in an extracted article body."""
