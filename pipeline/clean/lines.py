"""Single lines that are never story text, wherever they stand, and why.

Labels ("Advertisement", "Share"), pointers to other stories ("Read more: ..."), fine print,
bylines and datelines, paywall notices, and the headings that open a comments section. Kept
in English, German, French, Spanish and Italian where sites in those languages use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import Tag

from pipeline.clean.authors import split_byline
from pipeline.clean.blocks import Block, PageBlocks
from pipeline.clean.dates import parse_date
from pipeline.clean.furniture import WRAPPER_TAGS
from pipeline.clean.substrings import may_match

# "Related articles", "Read also", "You may also like" in the other languages of the news pages
# we ingest: a line of its own, and the heading over a list of other stories.
_RELATED_ELSEWHERE = (
    # German
    r"(?:ähnliche|verwandte|weitere) (?:artikel|beiträge|nachrichten|meldungen|themen)|"
    r"verwandte themenbereiche|das könnte (?:dich|sie) auch interessieren|auch interessant|"
    r"zum weiterlesen|neueste (?:artikel|beiträge)|meistgelesen(?:e (?:artikel|beiträge))?|"
    r"empfehlungen der redaktion|lesen sie (?:auch|mehr)|"
    # French
    r"(?:articles?|contenus?) (?:similaires|associés|liés)|(?:[àa] )?lire aussi|"
    r"[àa] lire également|sur le même sujet|vous (?:aimerez|pourriez) aussi(?: aimer)?|"
    r"les plus lus|"
    # Spanish, Portuguese, Italian
    r"(?:artículos|noticias|contenidos?) relacionad[oa]s|te puede interesar|"
    r"(?:lea|lee) también|(?:las )?más leídas|veja também|leia também|"
    r"(?:notícias|artigos) relacionad[oa]s|(?:as )?mais lidas|articoli correlati|"
    r"leggi anche|(?:ti )?potrebbe interessarti|i più letti|"
    # Dutch, Polish
    r"gerelateerde artikelen|lees ook|meest gelezen|zobacz (?:też|także)|czytaj (?:też|także)"
)

# Lines that are never story text, by what they are.
_LINE_REASONS = (
    (
        "ad",
        r"advertisement|advertisements|advertising|advert|ad|sponsored|anzeige|werbung|"
        r"publicit[ée]|publicidad|pubblicit[àa]",
    ),
    (
        "share",
        r"share|share this(?: article| story)?|email|print|tweet|"
        # the same buttons in German, French, Spanish, Italian, Portuguese, Polish, Dutch
        r"(?:(?:diesen )?(?:artikel|beitrag|seite|rezept) )?(?:teilen|drucken)|"
        r"möchten sie (?:den|diesen) artikel teilen\??|empfiehl (?:dies|diesen artikel) "
        r"deinen freunden|partager|imprimer|compartir|imprimir|condividi|stampa|compartilhar|"
        r"udostępnij|drukuj|delen|printen",
    ),
    ("comments", r"comments?|discuss this (?:article|story)"),
    (
        "related",
        r"other (?:reports|stories|articles) by|you (?:may|might) (?:also )?(?:like|enjoy)|"
        r"(?:recommended|suggested) (?:for you|stories|articles|reading)|more stories|"
        r"(?:what|more) to read(?: next)?|read next|up next|around the web|from the web|"
        r"(?:popular|trending) (?:now|stories|articles)|don['’]t miss|explore further|"
        + _RELATED_ELSEWHERE,
    ),
    (
        "newsletter",
        r"subscribe(?: now| today| for free)?|sign up(?: now| today)?|newsletters?|"
        r"(?:subscribe to|sign up for) (?:our )?e-?mail updates",
    ),
    # A video player's or a photo viewer's buttons and read-outs, each on a line of its own.
    (
        "controls",
        r"play(?: video)?|pause|(?:un)?mute|(?:exit )?full ?screen|autoplay|close|caption|"
        r"expand|collapse|next|prev(?:ious)?|replay|skip ad|view (?:photos|gallery|slideshow)|"
        r"(?:current|remaining|duration) time\s*-?[\d:]+|(?:loaded|progress):\s*\d+%|"
        r"stream type\s*live|wait \d+ seconds? to continue",
    ),
    # A gallery's counter and buttons ("1 / 8", "Image 3 of 12", "Back to Gallery"), and the
    # heading of a table of contents or of in-page links (the links go as a link list).
    (
        "navigation",
        r"table of contents|contents|in this (?:article|story|guide)|on this page|"
        r"jump to(?: section)?|skip to (?:main )?content|"
        r"(?:(?:image|photo|picture|slide)s?\s+)?\d+\s*(?:/|of)\s*/?\s*\d+|"
        r"back to (?:the )?(?:gallery|slideshow|top)|(?:view|launch|open) (?:the )?gallery",
    ),
    (
        "label",
        r"read more|continue reading|read later|save for later|save (?:this )?(?:article|story)|"
        r"bookmark(?: this (?:article|story))?|loading\.*|scroll to continue with content|"
        r"story continues below|(?:this|the) (?:slideshow|video|content|gallery) requires "
        r"javascript|please enable javascript.*|javascript is (?:disabled|required).*|"
        # a reading time ("5 min read", "Lesezeit: ca. 3 Minuten")
        r"\d+\s*(?:min|mins|minutes?)\s+read|(?:lesezeit|lesedauer|reading time|read time|"
        r"temps de lecture|tiempo de lectura|tempo di lettura)\s*:?\s*(?:ca\.\s*|about\s*|"
        r"weniger als\s*)?(?:\d+|eine)\s*(?:min\w*)?|"
        # "Read more", "Load more" and an embed's placeholder in the other languages
        r"weiterlesen|mehr (?:lesen|anzeigen|laden)|lade weitere inhalte|lire la suite|"
        r"(?:leer|ver) más|seguir leyendo|continua a leggere|leia mais|czytaj dalej|lees meer|"
        r"externer inhalt|empfohlener redaktioneller inhalt|"
        # a rating widget's question and read-out
        r"was this (?:article|page|story|post) (?:helpful|useful)\??|rate this "
        r"(?:article|story|post|recipe)|war (?:der|dieser) (?:artikel|beitrag) "
        r"(?:nützlich|hilfreich)\??|(?:hier können sie )?(?:den |diesen )?artikel bewerten|"
        r"\(?noch keine bewertungen\)?|"
        # a PHP error the site printed into the page
        r"(?:php )?(?:warning|notice|deprecated|fatal error|parse error):.{0,400}? on line \d+",
    ),
)
_BOILERPLATE_LINE = re.compile(
    "(?:" + "|".join(f"(?P<{reason}>{pattern})" for reason, pattern in _LINE_REASONS) + r")\W*$",
    re.I,
)
# "Read more: <headline>" lines point to other stories even when they are not links.
_POINTER_LINE = re.compile(
    r"^(?:read more|related|see also|also read|read also|more|recommended|watch|listen|"
    r"related (?:articles?|stories|coverage|content)|more (?:on|from) [^:]{0,40}|"
    r"more (?:[\w&'’-]+ ){0,3}(?:news|stories|coverage|articles|headlines)|"
    r"lesen sie auch|mehr zum thema|lire aussi|[àa] lire aussi|lea tambi[ée]n|leer m[áa]s|"
    r"leggi anche|potrebbe interessarti)"
    r"\s*[:>»|-]",
    re.I,
)
_POINTER_MAX_CHARS = 200
# A CMS shortcode the theme failed to render: "[button link=...]Send us your review[/button]".
_SHORTCODE = re.compile(r"^\[(\w+)\b[^\]]*\].*\[/\1\]$")
# "Subscribe to continue reading": what a paywall leaves where the rest of the story was.
_PAYWALL_LINE = re.compile(
    r"\b(?:subscribe|subscription|sign in|log in)\b.{0,80}\b(?:continue|keep|finish)\s+reading|"
    r"\bto (?:view|read|access|see) the (?:full|whole|rest of the) (?:story|article)\b.{0,40}"
    r"\bsubscri|\bsubscribe\b.{0,60}\bfor the (?:full|whole) (?:story|article)\b|"
    r"\balready a subscriber\b.{0,60}\b(?:log|sign) ?in\b|"
    r"\b(?:for|to) subscribers only\b|\bsubscribers? only\b|réservé aux abonnés|"
    r"nur für abonnenten|exclusivo para suscriptores|solo para suscriptores",
    re.I,
)
_PAYWALL_MAX_CHARS = 300
# What a line needs (in lower case) before `_PAYWALL_LINE` is worth asking (substrings.py):
# every branch holds one of these. The same for the newsletter and fine print lines below.
_PAYWALL_WORDS = ("subscri", "sign in", "log in", "abonn", "suscriptores")
# A newsletter box without a class name to tell: "Subscribe to the Morning Review newsletter".
_NEWSLETTER_LINE = re.compile(
    r"\b(?:subscrib\w*|sign(?:ing)? up)\b.{0,60}\bnewsletters?\b|"
    r"\bnewsletters?\b.{0,60}\b(?:subscrib\w*|sign(?:ing)? up|inbox)\b|"
    r"\b(?:receive|get)\b.{0,30}\b(?:daily|weekly|monthly)\b.{0,15}\bnewsletters?\b|"
    r"\bsuccessfully subscribed\b|\bproblem subscribing\b",
    re.I,
)
_NEWSLETTER_MAX_CHARS = 200
_NEWSLETTER_WORDS = ("newsletter", "subscri")
_AFFILIATE_NOTICE = re.compile(
    r"^(?:this|the) (?:post|article|page|story) (?:may )?contains? (?:affiliate|sponsored|"
    r"references to products from (?:one or more of )?our (?:advertisers|partners))",
    re.I,
)
# "If you buy something through this post, IGN may get a share of the sale." Searched only in
# lines that hold "you" (a cheap test first: this runs for every line of every page).
_AFFILIATE_PURCHASE = re.compile(
    r"\bif you (?:buy|purchase|click)\b.{0,80}\b(?:commission|share of (?:the )?sales?|"
    r"compensat\w+|earn money)\b",
    re.I,
)
_AFFILIATE_MAX_CHARS = 300
# The disclosure Amazon's programme asks its members to print, word for word.
_AMAZON_ASSOCIATES = re.compile(r"\bparticipant in the Amazon Services LLC Associates Program\b")
# "Click the AdBlock Plus button on your browser and select Disable", "Please turn off your
# ad blocker": said to the reader (a story about ad blockers speaks of them).
_AD_BLOCKER = re.compile(
    r"\bad ?-?block(?:er|ing)?\b.{0,80}\b(?:disable|turn (?:it )?off|whitelist|allow ?list|"
    r"pause)\b|\b(?:disable|turn off|whitelist|pause)\b.{0,40}\bad ?-?block",
    re.I,
)
_AD_BLOCKER_READER = re.compile(r"\byour\b|^(?:please|click|kindly)\b", re.I)
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_FINE_PRINT = re.compile(
    r"©|\(c\) \d{4}|\ball rights reserved\b|\bcopyright \d{4}|\bsubject to copyright\b", re.I
)
_FINE_PRINT_MAX_CHARS = 300
# A cookie banner written as a paragraph: "We use cookies to ...", "Wir verwenden Cookies, um
# ...": never story text, the sentence opening as only a banner opens.
_COOKIE_LINE = re.compile(
    r"^(?:(?:this|our) (?:web)?site uses|we use) cookies\b|"
    r"^(?:wir (?:verwenden|nutzen)|diese (?:web)?(?:seite|site) (?:verwendet|nutzt)) cookies\b|"
    r"^die cookie-einstellungen\b|^(?:ce site utilise|nous utilisons) (?:des )?cookies\b|"
    r"^(?:utilizamos|usamos|este sitio(?: web)? (?:utiliza|usa)) cookies\b|"
    r"^(?:utilizziamo|questo sito utilizza) (?:i )?cookie\b|"
    r"^(?:korzystamy z|ta strona (?:używa|korzysta z)) (?:plików )?cookies?\b|"
    r"^(?:deze (?:web)?site gebruikt|wij gebruiken) cookies\b",
    re.I,
)
_COOKIE_MAX_CHARS = 600
_FINE_PRINT_WORDS = ("©", "(c", "rights reserved", "copyright")
_LOWER_MAX_CHARS = max(_PAYWALL_MAX_CHARS, _FINE_PRINT_MAX_CHARS, _NEWSLETTER_MAX_CHARS)
_LINE_MAX_CHARS = 100
_BY = re.compile(r"^(?:(?i:(?:written\s+)?by|von|par|por|door|av|af)|di)\s")
# "By Kelli Miller WebMD Health News", "By Staff Writer": every word after "By" capitalised.
_BY_TITLE_CASE = re.compile(r"^\w+(?:\s+\w+)?(?:\s+(?:[A-Z][\w.'’-]*|and|&),?){1,10}$")
_MERIDIEM = re.compile(r"\d\s*[ap]\.m\.$", re.I)  # "6:15 p.m." ends a date, not a sentence
_CLOCK = re.compile(r"^\d{1,2}[:.h]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,5})?$", re.I)
# Latin and CJK sentence ends, closing quotes and brackets included.
SENTENCE_END = re.compile(r"[.!?…\"'”’)»:。！？」』）]$")


def noise_reason(block: Block) -> str | None:
    """Lines that are never story text, wherever they stand: labels, pointers, fine print."""
    text = block.text
    if match := _BOILERPLATE_LINE.match(text):
        return match.lastgroup
    if _BARE_URL.match(text):
        return "link_list"
    if _SHORTCODE.match(text):
        return "label"
    if _AFFILIATE_NOTICE.match(text) or (
        len(text) < _AFFILIATE_MAX_CHARS
        and (
            ("you " in text and _AFFILIATE_PURCHASE.search(text))
            or ("Amazon" in text and _AMAZON_ASSOCIATES.search(text))
        )
    ):
        return "promo"
    if (
        len(text) < _AFFILIATE_MAX_CHARS
        and _AD_BLOCKER.search(text)
        and _AD_BLOCKER_READER.search(text)
    ):
        return "ad"
    # One lower-case copy for the two tests that need it.
    lower = text.lower() if len(text) < _LOWER_MAX_CHARS else ""
    if lower and may_match(text, lower, _PAYWALL_WORDS) and _PAYWALL_LINE.search(text):
        return "paywall"
    if len(text) < _COOKIE_MAX_CHARS and _COOKIE_LINE.match(text):
        return "cookie"
    if (
        len(text) < _NEWSLETTER_MAX_CHARS
        and may_match(text, lower, _NEWSLETTER_WORDS)
        and _NEWSLETTER_LINE.search(text)
    ):
        return "newsletter"
    if _POINTER_LINE.match(text) and (block.link_chars or len(text) < _POINTER_MAX_CHARS):
        return "related"
    if (
        len(text) < _FINE_PRINT_MAX_CHARS
        and may_match(text, lower, _FINE_PRINT_WORDS)
        and _FINE_PRINT.search(text)
    ):
        return "copyright"
    if block.kind == "body":
        return dateline_or_byline(text)
    return None


def dateline_or_byline(text: str) -> str | None:
    """A short unpunctuated line that is a date ("May 1, 2024", a live blog's "15:42") or names
    the authors."""
    if len(text) > _LINE_MAX_CHARS or (SENTENCE_END.search(text) and not _MERIDIEM.search(text)):
        return None
    if _BY.match(text) and (split_byline(text) or _BY_TITLE_CASE.match(text)):
        return "byline"
    return "dateline" if _CLOCK.match(text) or parse_date(text) is not None else None


# "3 responses", "Comments (34)", "Leave a reply": the heading over a comments section. A bare
# "Response" is a section of a technical article (the Fetch API's Request and Response): the
# singular counts only with its number ("1 Response").
_COMMENTS_HEADING = re.compile(
    r"^(?:\d+\s+)?(?:comments?|responses|replies|reactions|reader comments|(?:leser)?kommentare|"
    r"commentaires|comentarios|commenti)(?:\s*\(\d+\))?\W*$|"
    r"^(?:\d+\s+response|response\s*\(\d+\))\W*$|"
    r"^(?:leave a (?:comment|reply)|join the discussion|have your say|add a comment|"
    r"post a comment|what do you think)\b",
    re.I,
)
_COMMENTS_HEADING_MAX_CHARS = 60


# "Related", "Related articles", "Most read in world news", "More from Sport": the heading over
# a list of other stories. Not "See also": a reference work's own section (Wikipedia's).
_RELATED_HEADING = re.compile(
    r"^(?:related(?: (?:articles?|stories|posts?|links|content|coverage|news|reading|videos?))?|"
    r"more (?:from|on|in) [^:]{0,40}|more (?:stories|articles|news|videos)|"
    r"most (?:read|popular|viewed|shared|watched)(?: [^:]{0,40})?|"
    r"you (?:may|might) (?:also )?(?:like|enjoy)|recommended(?: for you| stories| articles)?|"
    r"(?:what to )?read next|up next|trending(?: now| stories)?|don['’]t miss|"
    r"popular (?:now|stories|articles)|explore further|mehr zum thema(?: [^:]{0,40})?|"
    r"mehr (?:zu|über) [^:]{0,40}|" + _RELATED_ELSEWHERE + r")\W*$",
    re.I,
)


# "About the author", "Über den Autor": the heading over the author's biography.
_AUTHOR_HEADING = re.compile(
    r"^(?:about the (?:authors?|writers?|reporters?)|über (?:den autor|die autorin)|"
    r"à propos de l['’]auteur|sobre (?:el autor|la autora|o autor|a autora)|"
    r"sull['’]autore)\W*$",
    re.I,
)


def related_sections(page: PageBlocks, blocks: list[Block]) -> list[Tag]:
    """Elements that a related-stories heading opens: the outermost element the heading comes
    first in that does not hold the page's `<h1>` (as for a comments heading)."""
    return _sections_under(page, blocks, _RELATED_HEADING)


def author_sections(page: PageBlocks, blocks: list[Block]) -> list[Tag]:
    """Elements that an "About the author" heading opens, found the same way."""
    return _sections_under(page, blocks, _AUTHOR_HEADING)


def _sections_under(page: PageBlocks, blocks: list[Block], heading: re.Pattern[str]) -> list[Tag]:
    return [
        section for block, section in _headed(page, blocks, heading) if section is not block.owner
    ]


def _headed(
    page: PageBlocks, blocks: list[Block], heading: re.Pattern[str]
) -> Iterator[tuple[Block, Tag]]:
    """Each short heading block without links that `heading` matches, with the section it
    opens (`_opened_section`)."""
    headlines = page.found.get("h1", [])
    for position, block in enumerate(blocks):
        if len(block.text) > _COMMENTS_HEADING_MAX_CHARS or block.link_chars:
            continue
        if block.kind != "heading" or not heading.match(block.text):
            continue
        yield block, _opened_section(page, blocks, position, headlines)


def _opened_section(
    page: PageBlocks, blocks: list[Block], position: int, headlines: list[Tag]
) -> Tag:
    """The outermost element that `blocks[position]` comes first in and that holds no
    `<h1>`: the section it opens."""
    previous = blocks[position - 1].owner if position else None
    section = blocks[position].owner
    parent = section.parent
    while (
        parent is not None
        and parent.name not in WRAPPER_TAGS
        and id(parent) in page.start
        and (previous is None or not page.contains(parent, previous))
        # Readers' comments never hold the headline: a "Responses" drawer placed before
        # the story (Medium) must not take the story with it.
        and not any(page.contains(parent, h1) for h1 in headlines)
    ):
        section, parent = parent, parent.parent
    return section


def comment_sections(page: PageBlocks, blocks: list[Block]) -> dict[int, str]:
    """Elements that a comments heading opens: the outermost element the heading comes first
    in that does not hold the page's `<h1>`, or, when the heading shares its element with the
    story, everything after it there."""
    sections: dict[int, str] = {}
    for block, section in _headed(page, blocks, _COMMENTS_HEADING):
        sections[id(section)] = "comments"
        if section is block.owner:
            for sibling in section.find_next_siblings():
                sections[id(sibling)] = "comments"
    return sections
