"""What closes a story page without being the story, and why.

Calls to action ("Join our forums", "Follow AP's full coverage at ..."), tip and contact lines
("Have a tip? Jane may be reached at ..."), a press release's description of its issuer
("Acme is a leading provider of ..."), the author's one-line biography ("Eric is IGN's deal
curator"), credit lines ("Additional reporting by ...") and citation notices ("Citation: ...
retrieved 20 November 2019"). Sites put them after the story's last paragraph; body.py drops
them only there, walking back from the end, so the same words inside a story stay.
"""

from __future__ import annotations

import re

# Longer than this, a closing line is a paragraph of the story.
TAIL_MAX_CHARS = 400
_CALL_TO_ACTION = re.compile(
    r"^(?:join|follow|subscribe|sign up|register|listen|watch|download|like us|"
    r"get (?:[\w'’]+ ){1,5}delivered|don['’]t miss|never miss|click here|"
    r"if you (?:enjoyed|liked|found|value|appreciate)d?|"
    # "We want to hear what you think about this article. Submit a letter to the editor ..."
    r"we(?: would|['’]d)? (?:want|love|like) to hear (?:from you|what you think)|"
    # "For the latest stories and breaking news updates download our apps"
    r"for (?:the latest|more) (?:[\w'’-]+ ){0,4}(?:news|stories|updates|coverage))\s",
    re.I,
)
# What a call to action points to; "Sign up for the bundle with your email" is a how-to step.
_CALL_TO_ACTION_OBJECT = re.compile(
    r"\b(?:us|our|we|coverage|newsletters?|podcasts?|forums?|apps?|channel|live|delivered|"
    r"here)\b",
    re.I,
)
_CONTACT = re.compile(
    r"\b(?:have|got) a (?:news |story )?tip\b|\b(?:can|may) be (?:reached|contacted|emailed) at\b|"
    r"\bfollow (?:him|her|them|me|us) on\b|"
    r"\b(?:email|e-mail|contact|reach) (?:him|her|them|me|the (?:author|reporter|writer)) at\b",
    re.I,
)
# "Eric Song is IGN's deal curator": one to four capitalised names, then what the author does.
_BIO = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s){0,3}[A-Z][\w.'’-]* (?:is|was) (?:a|an|the|[A-Z][\w'’]*['’]s)\s"
    r"[^.]{0,80}\b(?i:writer|reporter|editor|correspondent|curator|columnist|contributor|"
    r"journalist|blogger|critic|author|founder|co-founder|consultant)s?\b"
)
_CREDIT = re.compile(
    r"^(?:additional |with )?(?:reporting|writing|editing|research)(?: and \w+)? (?:by|from)\s|"
    r"^(?:edited|compiled|produced) by\s",
    re.I,
)
_CITATION = re.compile(r"^citation:|\bretrieved (?:on )?\d{1,2} \w+ \d{4}\b", re.I)
# A blog theme's closing line: "This entry was posted in News and tagged harbour. Bookmark the
# permalink."
_POSTED_IN = re.compile(r"^this (?:entry|post) was posted (?:in|on|by)\b", re.I)


# A press release closes with its issuer's description ("Ascom is a global solutions provider
# focused on ...", "Acme is headquartered in Baar"): a name, then what the company is. Such a
# paragraph runs longer than the other closing lines.
_ISSUER = re.compile(
    # A name, not a pronoun: "It is the first company to ..." closes many a story.
    r"^(?!(?:It|He|She|They|This|That|There|These|Those|We|You|I)\s)"
    r"(?:[A-Z][\w&.'’-]*,?\s){1,5}(?:is|are)\s(?:"
    r"(?:a|an|the|one of the)\s[^.]{0,120}?\b(?:provider|company|leader|manufacturer|developer|"
    r"maker|supplier|firm|group|corporation|organi[sz]ation|platform|producer|operator|retailer|"
    r"publisher|network|specialist|pioneer|innovator|distributor)s?\b|"
    r"(?:headquartered|based)\s(?:in|at)\b)"
)
ISSUER_MAX_CHARS = 1200


def tail_reason(text: str) -> str | None:
    """Why a line after the story's last paragraph is not the story, or None."""
    if len(text) <= ISSUER_MAX_CHARS and _ISSUER.match(text):
        return "promo"
    if len(text) > TAIL_MAX_CHARS:
        return None
    if _CALL_TO_ACTION.match(text) and _CALL_TO_ACTION_OBJECT.search(text):
        return "promo"
    if _CONTACT.search(text) or _BIO.match(text):
        return "author_box"
    if _CREDIT.match(text):
        return "byline"
    if _CITATION.search(text):
        return "copyright"
    if _POSTED_IN.match(text):
        return "tags"
    return None
